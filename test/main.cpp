// reel/test/main.cpp — Catch2's main for the test executable.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
