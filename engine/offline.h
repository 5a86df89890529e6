#pragma once
// The offline tools: the parser on local files, no network, no workers.
//   forage select FILE SELECTOR [--attr NAME]
//   forage extract FILE... --items S --field N=S... [--base-url U]
// They are how users debug selectors (like `scrapy shell`), and how tests pin
// behaviour: the same decoding and rules as `forage run`.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"

namespace forage::engine {

// Every match of `selector` in the file (decoded as a fetched page would be,
// by BOM and <meta>), one JSON value a line: the match's text, or with
// `attr` the attribute's value (null where the element lacks it). A selector
// may also end in ::text, ::html or ::attr(NAME) itself. A file larger than
// `max_body_bytes` is refused (kInvalidArgument), as `run` fails such a page.
Result<std::string> SelectInFile(const std::string& path, const std::string& selector,
                                 const std::string& attr, uint64_t max_body_bytes);

// The records of `config`'s items and fields in each file, as JSON Lines:
// what `forage run -o -` would write for those pages. `base_url` resolves
// `url` fields (default: none, so relative links resolve only against an
// absolute <base href>). A file larger than config.max_body_bytes is refused
// (kInvalidArgument) and nothing is returned.
Result<std::string> ExtractFiles(const std::vector<std::string>& paths, const Config& config,
                                 const std::string& base_url);

}  // namespace forage::engine
