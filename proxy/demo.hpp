// `pgtally demo`: a throwaway PostgreSQL, pgtally in front of it, the storefront sample's
// migrations, service and load through it, then the findings and where to look. The README's
// main command runs it.
#pragma once

#include "proxy/cli.hpp"

namespace pgtally {

// Returns the process exit code; serves until SIGINT/SIGTERM unless `demo.once`.
int run_demo(const RunDemo& demo);

}  // namespace pgtally
