#pragma once
// The offline tools: the parser on one page at a time, no workers.
//   forage select PAGE SELECTOR [--attr NAME]
//   forage extract PAGE... --items S --field N=S... [--base-url U]
//   forage extract JOB.toml PAGE...
// A PAGE is a local file, `-` (standard input), or an http(s) URL, fetched
// once with the run's fetcher settings (--user-agent, --header, --timeout,
// --connect-timeout, redirects followed; robots.txt is not consulted).
// They are how users debug selectors (like `scrapy shell`), and how tests pin
// behaviour: the same decoding and rules as `forage run`.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"

namespace forage::engine {

// Every match of `selector` in the page (decoded as a fetched page would be:
// Content-Type for a URL, then BOM and <meta>), one JSON value a line: the
// match's text, or with `attr` the attribute's value (null where the element
// lacks it); with a selector list, `attr` applies to each alternative. A
// selector may also end in ::text, ::html or ::attr(NAME) itself (each
// alternative of a list its own). A `json:PATH` selector reads the page as
// JSON and prints each selected value as JSON. A page larger than
// config.max_body_bytes is refused (kInvalidArgument), as `run` fails such a
// page; a URL that cannot be fetched is kIo.
Result<std::string> SelectInPage(const std::string& page, const std::string& selector,
                                 const std::string& attr, const Config& config);

// The records of `config`'s items and fields in each page, as JSON Lines:
// what `forage run -o -` would write for those pages. `base_url` resolves
// `url` fields (default: a URL page's own final URL; for files and stdin
// none, so relative links resolve only against an absolute <base href>).
// Errors as SelectInPage's; nothing is returned on an error.
Result<std::string> ExtractPages(const std::vector<std::string>& pages, const Config& config,
                                 const std::string& base_url);

}  // namespace forage::engine
