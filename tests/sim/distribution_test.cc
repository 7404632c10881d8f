// SPDX-License-Identifier: Apache-2.0
// Our own duration distributions over raft::Prng: a seed replays them exactly,
// their sample means match the mathematics, and no draw is ever negative.
#include "raft/sim/distribution.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "raft/prng.h"

namespace raft::sim {
namespace {

using namespace std::chrono_literals;

constexpr int kDraws = 100'000;
constexpr std::uint64_t kSeed = 20240601;

double ms(Duration duration) { return static_cast<double>(duration.count()) / 1e6; }

struct Moments {
  double mean = 0;
  double stddev = 0;
  Duration min = Duration::max();
  Duration max = Duration::min();
};

Moments draw(const Distribution& distribution, std::uint64_t seed = kSeed) {
  Prng prng(seed);
  double sum = 0;
  double sum_squares = 0;
  Moments moments;
  for (int i = 0; i < kDraws; ++i) {
    const Duration value = distribution.sample(prng);
    sum += ms(value);
    sum_squares += ms(value) * ms(value);
    moments.min = std::min(moments.min, value);
    moments.max = std::max(moments.max, value);
  }
  moments.mean = sum / kDraws;
  moments.stddev = std::sqrt(sum_squares / kDraws - moments.mean * moments.mean);
  return moments;
}

const Distribution kAll[] = {
    Distribution::fixed(2ms),           Distribution::uniform(1ms, 5ms),
    Distribution::exponential(2ms),     Distribution::normal(5ms, 1ms),
    Distribution::normal(500us, 2ms),   Distribution::log_normal(2ms, 0.5),
    Distribution::log_normal(2ms, 2.0),
};

TEST(Distribution, SameSeedSameSamples) {
  for (const Distribution& distribution : kAll) {
    Prng a(kSeed);
    Prng b(kSeed);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(distribution.sample(a), distribution.sample(b))
          << distribution.to_string() << " draw " << i;
    }
  }
}

TEST(Distribution, DifferentSeedsDiffer) {
  for (const Distribution& distribution : kAll) {
    if (distribution.kind == Distribution::Kind::kFixed) continue;
    Prng a(1);
    Prng b(2);
    int same = 0;
    for (int i = 0; i < 100; ++i) {
      const Duration x = distribution.sample(a);
      // Clamped draws are 0 for both often; only equal non-zero values are suspicious.
      same += x == distribution.sample(b) && x != 0ms ? 1 : 0;
    }
    EXPECT_LT(same, 10) << distribution.to_string();
  }
}

TEST(Distribution, UniformGolden) {
  // Integer arithmetic on xoshiro256**: these values must never change, or old
  // seeds stop replaying (the floating-point kinds are IEEE on one platform).
  Prng prng(1);
  const Distribution distribution = Distribution::uniform(1ms, 5ms);
  std::vector<Duration::rep> values;
  for (int i = 0; i < 4; ++i) values.push_back(distribution.sample(prng).count());
  EXPECT_EQ(values, (std::vector<Duration::rep>{3'811'687, 3'081'746, 3'296'422, 2'565'314}));
}

TEST(Distribution, FixedIsFixed) {
  const Moments moments = draw(Distribution::fixed(2ms));
  EXPECT_EQ(moments.min, 2ms);
  EXPECT_EQ(moments.max, 2ms);
  Prng prng(kSeed);
  EXPECT_EQ(Distribution::fixed(0ms).sample(prng), 0ms);
  EXPECT_EQ(Distribution{}.sample(prng), 0ms);
}

TEST(Distribution, FixedDrawsNothing) {
  // A fixed latency must not consume randomness: switching a link between
  // fixed values keeps the rest of the run's draws where they were.
  Prng used(kSeed);
  Prng fresh(kSeed);
  static_cast<void>(Distribution::fixed(2ms).sample(used));
  EXPECT_EQ(used.next(), fresh.next());
}

TEST(Distribution, UniformStaysInHalfOpenRange) {
  const Moments moments = draw(Distribution::uniform(1ms, 5ms));
  EXPECT_GE(moments.min, 1ms);
  EXPECT_LT(moments.max, 5ms);
  EXPECT_LT(moments.min, 1ms + 100us);  // Both ends are reached.
  EXPECT_GT(moments.max, 5ms - 100us);
  EXPECT_NEAR(moments.mean, 3.0, 0.02);
  EXPECT_NEAR(moments.stddev, 4.0 / std::sqrt(12.0), 0.02);

  // One-nanosecond range: always the lower end.
  Prng prng(kSeed);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(Distribution::uniform(7ns, 8ns).sample(prng), 7ns);
  }
  // An empty range degenerates to its lower end.
  EXPECT_EQ(Distribution::uniform(3ms, 3ms).sample(prng), 3ms);
}

TEST(Distribution, ExponentialMean) {
  const Moments moments = draw(Distribution::exponential(2ms));
  EXPECT_GE(moments.min, 0ms);
  EXPECT_NEAR(moments.mean, 2.0, 2.0 * 0.02);
  EXPECT_NEAR(moments.stddev, 2.0, 2.0 * 0.03);  // An exponential's sd equals its mean.
}

TEST(Distribution, NormalMeanAndSpread) {
  const Moments moments = draw(Distribution::normal(5ms, 1ms));
  EXPECT_NEAR(moments.mean, 5.0, 0.02);
  EXPECT_NEAR(moments.stddev, 1.0, 0.02);
  EXPECT_GE(moments.min, 0ms);
}

TEST(Distribution, NormalIsClampedAtZero) {
  // Mean 0.5 ms, sd 2 ms: about 40 % of raw draws are negative and become 0.
  const Distribution distribution = Distribution::normal(500us, 2ms);
  const Moments moments = draw(distribution);
  EXPECT_EQ(moments.min, 0ms);
  // The clamped mean is what mean() reports (mu * Phi(mu/s) + s * phi(mu/s) = 1.07 ms).
  EXPECT_NEAR(moments.mean, ms(distribution.mean()), 0.02);
  EXPECT_NEAR(ms(distribution.mean()), 1.0727, 0.001);
}

TEST(Distribution, LogNormalMeanAndMedian) {
  const Distribution distribution = Distribution::log_normal(2ms, 0.5);
  const Moments moments = draw(distribution);
  const double expected_mean = 2.0 * std::exp(0.5 * 0.5 / 2.0);  // 2.266 ms
  EXPECT_NEAR(moments.mean, expected_mean, expected_mean * 0.02);
  EXPECT_NEAR(ms(distribution.mean()), expected_mean, 1e-6);
  EXPECT_GT(moments.min, 0ms);

  Prng prng(kSeed);
  int below_median = 0;
  for (int i = 0; i < kDraws; ++i) below_median += distribution.sample(prng) < 2ms ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(below_median) / kDraws, 0.5, 0.01);
}

TEST(Distribution, NeverNegative) {
  for (const Distribution& distribution : kAll) {
    EXPECT_GE(draw(distribution).min, 0ms) << distribution.to_string();
  }
  // Even from nonsense parameters (validate() refuses them; sample() must not misbehave).
  Prng prng(kSeed);
  const Distribution nonsense[] = {
      Distribution::fixed(-1ms),          Distribution::uniform(-5ms, -1ms),
      Distribution::uniform(-5ms, 5ms),   Distribution::exponential(-2ms),
      Distribution::normal(-5ms, 1ms),    Distribution::log_normal(-2ms, 0.5),
      Distribution::log_normal(1h, 50.0),
  };
  for (const Distribution& distribution : nonsense) {
    for (int i = 0; i < 1000; ++i) {
      ASSERT_GE(distribution.sample(prng), 0ms) << distribution.to_string();
    }
  }
}

TEST(Distribution, StandardNormal) {
  Prng prng(kSeed);
  double sum = 0;
  double sum_squares = 0;
  int within_one = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = standard_normal(prng);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_squares += z * z;
    within_one += std::abs(z) < 1.0 ? 1 : 0;
  }
  EXPECT_NEAR(sum / kDraws, 0.0, 0.01);
  EXPECT_NEAR(sum_squares / kDraws, 1.0, 0.02);
  EXPECT_NEAR(static_cast<double>(within_one) / kDraws, 0.6827, 0.01);
}

TEST(Distribution, Mean) {
  EXPECT_EQ(Distribution::fixed(2ms).mean(), 2ms);
  EXPECT_EQ(Distribution::uniform(1ms, 5ms).mean(), 3ms);
  EXPECT_EQ(Distribution::exponential(2ms).mean(), 2ms);
  EXPECT_NEAR(ms(Distribution::normal(5ms, 1ms).mean()), 5.0, 1e-6);  // Clamping negligible.
  EXPECT_EQ(Distribution::normal(5ms, 0ms).mean(), 5ms);
}

TEST(Distribution, ToString) {
  EXPECT_EQ(Distribution::fixed(2ms).to_string(), "fixed(2ms)");
  EXPECT_EQ(Distribution::fixed(0ms).to_string(), "fixed(0ms)");
  EXPECT_EQ(Distribution::uniform(1ms, 5ms).to_string(), "uniform(1ms, 5ms)");
  EXPECT_EQ(Distribution::uniform(1500ms, 2s).to_string(), "uniform(1.5s, 2s)");
  EXPECT_EQ(Distribution::exponential(250us).to_string(), "exponential(mean=250us)");
  EXPECT_EQ(Distribution::normal(5ms, 1ms).to_string(), "normal(mean=5ms, stddev=1ms)");
  EXPECT_EQ(Distribution::log_normal(2ms, 0.5).to_string(), "lognormal(median=2ms, sigma=0.5)");
  EXPECT_EQ(Distribution::fixed(1'234'567ns).to_string(), "fixed(1.234567ms)");
  EXPECT_EQ(Distribution::fixed(10ns).to_string(), "fixed(10ns)");
  EXPECT_EQ(Distribution::fixed(90s).to_string(), "fixed(90s)");
}

}  // namespace
}  // namespace raft::sim
