// Includes the one header PW_PROBE_HEADER names; tests/rooms/CMakeLists.txt
// expects the compiler to refuse it.
#include PW_PROBE_HEADER

int main() { return 0; }
