#pragma once
// A distributed job's spec: the part of its Config a node needs to fetch
// and extract its pages (rules, request settings, worker limits), as JSON in
// the job's Redis meta. The plan, the limits and the output stay with the
// collector.

#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/config.h"

namespace forage::engine {

std::string EncodeJobSpec(const Config& config);
// A spec the node cannot read is kInvalidArgument.
Result<Config> DecodeJobSpec(std::string_view spec);

}  // namespace forage::engine
