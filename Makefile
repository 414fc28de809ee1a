EXTENSION = pglocks

MODULE_big = pglocks
OBJS = \
	src/core/key_hash.o \
	src/core/key_set.o \
	src/core/on_busy.o \
	src/core/semaphore.o \
	src/core/wait_policy.o \
	src/pg/advisory.o \
	src/pg/args.o \
	src/pg/body.o \
	src/pg/body_args.o \
	src/pg/busy.o \
	src/pg/core_call.o \
	src/pg/deadline.o \
	src/pg/key_set.o \
	src/pg/lock_table.o \
	src/pg/plan_cache.o \
	src/pg/semaphore.o \
	src/pg/standby.o \
	src/pg/with_lock.o \
	src/sql_api.o

EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" $(EXTENSION).control)

# sql/pglocks.sql is the install script of the current version, written out
# as pglocks--$(EXTVERSION).sql; the oldest release's script and the upgrade
# scripts are installed as they are (CREATE EXTENSION ... VERSION of any
# other release runs them in turn).
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = sql/$(EXTENSION)--1.0.sql $(wildcard sql/$(EXTENSION)--*--*.sql)

# sql/ also holds the pg_regress inputs; specs/ the isolation specs;
# expected/ the output of both.
REGRESS = $(filter-out $(EXTENSION) $(EXTENSION)--%,$(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=$(EXTENSION)
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src
# Rebuild an object when a header it includes changes.
PG_CPPFLAGS += -MMD -MP
EXTRA_CLEAN = $(OBJS:.o=.d)
# PostgreSQL's headers as system headers: -Wextra is for our code, not theirs.
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -isystem $(includedir_server)
ifdef WERROR
PG_CXXFLAGS += -Werror
endif
SHLIB_LINK = -lstdc++ -lcrypto -lz
# make SANITIZE=address,undefined (or undefined): see scripts/sanitize.sh
ifdef SANITIZE
PG_CXXFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
SHLIB_LINK += -fsanitize=$(SANITIZE)
endif

# Bitcode for JIT inlining would be compiled by clang without PG_CXXFLAGS,
# and nothing here is worth inlining into a JIT-compiled query.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

-include $(OBJS:.o=.d)

$(DATA_built): sql/$(EXTENSION).sql $(EXTENSION).control
	cp $< $@

# Release artefacts, in dist/.
# make dist: the PGXN archive, from the committed tree (.gitattributes
# keeps git's own files out)
.PHONY: dist deb
dist:
	mkdir -p dist
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		--output dist/$(EXTENSION)-$(EXTVERSION).zip HEAD

# make deb: postgresql-NN-pglocks_<version>_<arch>.deb, as Debian builds
# extension packages (see scripts/deb.sh)
deb:
	scripts/deb.sh
