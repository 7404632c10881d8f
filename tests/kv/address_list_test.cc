// SPDX-License-Identifier: Apache-2.0
// raft-kv's address flags (examples/kv/address_list.h).
#include "address_list.h"

#include <gtest/gtest.h>

namespace raft::kv {
namespace {

TEST(KvAddressList, ParsesIdsAndAddresses) {
  Result<std::map<NodeId, HostPort>> list =
      parse_address_list("1=127.0.0.1:7001,2=localhost:7002,3=[::1]:7003,", "--peers");
  ASSERT_TRUE(list.ok()) << list.status().to_string();
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ(list->at(NodeId{1}), (HostPort{"127.0.0.1", 7001}));
  EXPECT_EQ(list->at(NodeId{2}), (HostPort{"localhost", 7002}));
  EXPECT_EQ(list->at(NodeId{3}), (HostPort{"::1", 7003}));
  EXPECT_EQ(list->at(NodeId{3}).to_string(), "[::1]:7003");
}

TEST(KvAddressList, NamesWhatIsWrong) {
  const auto error = [](std::string_view text) {
    Result<std::map<NodeId, HostPort>> list = parse_address_list(text, "--peers");
    EXPECT_FALSE(list.ok()) << text;
    EXPECT_EQ(list.status().code(), ErrorCode::kInvalidArgument);
    return list.status().message();
  };
  EXPECT_NE(error("").find("--peers: no entries"), std::string::npos);
  EXPECT_NE(error("0=a:1").find("id >= 1"), std::string::npos);
  EXPECT_NE(error("x=a:1").find("'x=a:1'"), std::string::npos);
  EXPECT_NE(error("1=a").find("not host:port"), std::string::npos);
  EXPECT_NE(error("1=a:99999").find("port must be a number"), std::string::npos);
  EXPECT_NE(error("1=::1:5").find("brackets"), std::string::npos);
  EXPECT_NE(error("1=a:1,1=b:2").find("node 1 is listed twice"), std::string::npos);
}

}  // namespace
}  // namespace raft::kv
