// Included last by every file of the pure C++ core (src/core/*.cpp).
//
// The core may throw; PostgreSQL code may longjmp. Keeping them apart is what
// makes both safe, so a core file that reaches postgres.h, directly or through
// another header, must not compile.
#pragma once

#ifdef POSTGRES_H
#error "src/core is pure C++: it must not include postgres.h (see README, Hacking)"
#endif
