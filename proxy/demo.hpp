// `pgtally demo`: a throwaway PostgreSQL, pgtally in front of it, sample traffic through it,
// and what to connect to. The README's main command runs it.
#pragma once

#include "proxy/config.hpp"

namespace pgtally {

// Returns the process exit code; serves until SIGINT/SIGTERM unless `once`.
int run_demo(Config config, bool once);

}  // namespace pgtally
