// GoogleTest glue: one throwaway PostgreSQL per test binary, started before the first test and
// stopped after the last, also when tests fail. Link pgtally_testmain and call postgres().
#pragma once

#include "tests/support/temp_postgres.hpp"

namespace pgtally::testing {

// The binary's server; started on first use, stopped at exit.
TempPostgres& postgres();

}  // namespace pgtally::testing
