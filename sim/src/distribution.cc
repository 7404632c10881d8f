// SPDX-License-Identifier: Apache-2.0
// Random durations drawn from raft::Prng only. std::*_distribution is not used
// anywhere: libstdc++, libc++ and MSVC produce different values from the same
// engine, which would make a seed replay differently per standard library
// (DESIGN.md, "Determinism rules"). std::log / exp / sqrt / cos are IEEE-754
// functions of their argument and give the same bits on one platform.
#include "raft/sim/distribution.h"

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include <fmt/format.h>

namespace raft::sim {
namespace {

/// Converts a non-negative number of nanoseconds to a Duration, rounding to
/// the nearest nanosecond. NaN and negatives become 0; values past ~292 years
/// saturate (a log-normal tail can reach them; a latency that large only
/// means "never" in a run that is bounded anyway).
Duration from_nanoseconds(double nanoseconds) {
  // 9e18 < INT64_MAX (~9.22e18): the saturating bound is exactly representable.
  constexpr double kMax = 9.0e18;
  if (!(nanoseconds > 0.0)) return Duration::zero();
  if (nanoseconds >= kMax) return Duration{static_cast<Duration::rep>(kMax)};
  return Duration{static_cast<Duration::rep>(std::llround(nanoseconds))};
}

double to_nanoseconds(Duration duration) { return static_cast<double>(duration.count()); }

/// "2ms", "1.5s", "250us", "10ns", "0ms": exact, so parse_duration() reads it back.
std::string format_duration(Duration duration) {
  std::int64_t count = duration.count();
  if (count == 0) return "0ms";
  std::string sign;
  if (count < 0) {
    sign = "-";
    // -INT64_MIN overflows; such a value is no real duration, print it in ns.
    if (count == INT64_MIN) return fmt::format("{}ns", count);
    count = -count;
  }
  struct Unit {
    std::int64_t nanoseconds;
    const char* suffix;
    int digits;  // log10(nanoseconds): the fractional digits one unit can need.
  };
  static constexpr Unit kUnits[] = {
      {1'000'000'000, "s", 9}, {1'000'000, "ms", 6}, {1'000, "us", 3}, {1, "ns", 0}};
  for (const Unit& unit : kUnits) {
    if (count < unit.nanoseconds) continue;
    const std::int64_t whole = count / unit.nanoseconds;
    std::int64_t fraction = count % unit.nanoseconds;
    if (fraction == 0) return fmt::format("{}{}{}", sign, whole, unit.suffix);
    int digits = unit.digits;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    return fmt::format("{}{}.{:0{}}{}", sign, whole, fraction, digits, unit.suffix);
  }
  return fmt::format("{}ns", count);  // Unreachable: count >= 1 matches "ns".
}

/// Standard normal CDF and density, for the mean of the normal clamped at 0.
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }

}  // namespace

double standard_normal(Prng& prng) {
  // Box–Muller (1958). 1 - u lies in (0, 1], so the logarithm is finite. Both
  // uniforms are drawn on every call (the sine half is discarded) so that the
  // number of draws per sample is fixed and a replay never depends on a cache.
  const double u1 = 1.0 - prng.uniform_real();
  const double u2 = prng.uniform_real();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  return radius * std::cos(2.0 * std::numbers::pi * u2);
}

Duration Distribution::sample(Prng& prng) const {
  switch (kind) {
    case Kind::kFixed:
      return a < Duration::zero() ? Duration::zero() : a;
    case Kind::kUniform: {
      // Integer nanoseconds: exact, and no rounding can reach b itself. The
      // lower end is clamped at 0 first, so b - low always fits.
      const Duration low = a < Duration::zero() ? Duration::zero() : a;
      if (b <= low) return low;
      const auto width = static_cast<std::uint64_t>((b - low).count());
      return low + Duration{static_cast<Duration::rep>(prng.uniform(width))};
    }
    case Kind::kExponential: {
      // Inversion: if U ~ U[0, 1) then -mean * ln(1 - U) ~ Exp(1 / mean).
      const double u = prng.uniform_real();
      return from_nanoseconds(-to_nanoseconds(a) * std::log1p(-u));
    }
    case Kind::kNormal:
      return from_nanoseconds(to_nanoseconds(a) + to_nanoseconds(b) * standard_normal(prng));
    case Kind::kLogNormal:
      // ln X ~ N(ln median, sigma^2), so X = median * e^(sigma * Z).
      return from_nanoseconds(to_nanoseconds(a) * std::exp(shape * standard_normal(prng)));
  }
  return Duration::zero();
}

Duration Distribution::mean() const {
  switch (kind) {
    case Kind::kFixed:
      return a < Duration::zero() ? Duration::zero() : a;
    case Kind::kUniform:
      if (b <= a) return a < Duration::zero() ? Duration::zero() : a;
      return from_nanoseconds((to_nanoseconds(a) + to_nanoseconds(b)) / 2.0);
    case Kind::kExponential:
      return from_nanoseconds(to_nanoseconds(a));
    case Kind::kNormal: {
      // The mean of max(X, 0) for X ~ N(mu, s^2): mu * Phi(mu/s) + s * phi(mu/s).
      const double mu = to_nanoseconds(a);
      const double s = to_nanoseconds(b);
      if (!(s > 0.0)) return from_nanoseconds(mu);
      const double z = mu / s;
      return from_nanoseconds(mu * normal_cdf(z) + s * normal_pdf(z));
    }
    case Kind::kLogNormal:
      // E[X] = median * e^(sigma^2 / 2).
      return from_nanoseconds(to_nanoseconds(a) * std::exp(shape * shape / 2.0));
  }
  return Duration::zero();
}

std::string Distribution::to_string() const {
  switch (kind) {
    case Kind::kFixed:
      return fmt::format("fixed({})", format_duration(a));
    case Kind::kUniform:
      return fmt::format("uniform({}, {})", format_duration(a), format_duration(b));
    case Kind::kExponential:
      return fmt::format("exponential(mean={})", format_duration(a));
    case Kind::kNormal:
      return fmt::format("normal(mean={}, stddev={})", format_duration(a), format_duration(b));
    case Kind::kLogNormal:
      return fmt::format("lognormal(median={}, sigma={})", format_duration(a), shape);
  }
  return "unknown";
}

}  // namespace raft::sim
