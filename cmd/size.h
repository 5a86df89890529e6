#pragma once
// Sizes as users write them: 16 (MiB), 400MB, 2GiB, 1.5GB, 512KiB, 4096B.
// A plain number is MiB, so `--max-body 16` keeps its old meaning.

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace forage::cmd {

// Bytes in `text`. Units: B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB
// (powers of 1024), case-insensitive; none means MiB. Negative, NaN,
// infinite or over-2^62-byte values are errors, never wrapped around.
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace forage::cmd
