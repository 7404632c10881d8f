// SPDX-License-Identifier: Apache-2.0
// The usual std::visit helper: one lambda per alternative.
#pragma once

namespace raft::detail {

template <class... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

}  // namespace raft::detail
