// forage: the shipped binary. It installs no test hooks.

#include "cmd/forage_main.h"

int main(int argc, char** argv) { return forage::cmd::ForageMain(argc, argv); }
