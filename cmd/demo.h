#pragma once
// `forage demo`: start the test site, scrape its shop with the seed's four
// fields, store products.csv. The fixture runs as a child process for the
// length of the demo.

#include "base/result.h"
#include "engine/config.h"
#include "engine/summary.h"

namespace forage::cmd {

// The seed's job (SEEDS.md section 1) against a shop at `base_url`.
engine::Config SeedShopJob(const std::string& base_url);

// Starts forage-fixture (found beside this binary, else on PATH), runs the
// seed's job against it with `overrides` (workers, output), stops the fixture.
Result<engine::Summary> RunDemo(const engine::Config& overrides);

}  // namespace forage::cmd
