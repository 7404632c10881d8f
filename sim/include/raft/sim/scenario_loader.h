// SPDX-License-Identifier: Apache-2.0
// Reading scenarios from YAML, with errors that name the line and the field.
#pragma once

#include <string>
#include <string_view>

#include "raft/sim/scenario.h"
#include "raft/status.h"

namespace raft::sim {

/// Parses a scenario. `source` names it in error messages ("file.yaml").
/// Errors (kInvalidArgument) read like
///   "file.yaml:12: cluster.heartbeat: '-5ms' is not a duration (e.g. 100ms, 1.5s)"
///   "file.yaml:3: cluster.sise: unknown key; valid keys: size, heartbeat, ..."
[[nodiscard]] Result<Scenario> parse_scenario(std::string_view yaml, std::string_view source);

/// Reads and parses a file (kIo when it cannot be read).
[[nodiscard]] Result<Scenario> load_scenario(const std::string& path);

/// Applies one `--set key=value` override, e.g. "cluster.size=7" or
/// "network.loss=0.1", then re-validates the scenario.
[[nodiscard]] Status apply_override(Scenario& scenario, std::string_view assignment);

/// Checks a scenario for impossible settings (a 0-node cluster, a fault that
/// names node 9 of 5, heartbeat >= election timeout, negative durations...).
[[nodiscard]] Status validate(const Scenario& scenario);

/// Parses "100ms", "1.5s", "2m", "250us", "0"; no value on error.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);

}  // namespace raft::sim
