#pragma once
// forage: argv -> Invocation -> engine::Run -> exit code. The body of the
// shipped `forage` (cmd/main.cc) and of the test-only `forage-testhooks`.

namespace forage::cmd {

int ForageMain(int argc, char** argv);

}  // namespace forage::cmd
