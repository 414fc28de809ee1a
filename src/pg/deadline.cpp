#include "pg/deadline.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace pglocks::pg {

Deadline::Deadline(core::WaitPolicy policy)
	: policy_(policy), end_(0)
{
	if (policy.kind == core::WaitPolicy::Kind::Millis)
		end_ = GetCurrentTimestamp() + (TimestampTz) policy.millis * 1000;
}

core::WaitPolicy
Deadline::left() const
{
	if (policy_.kind != core::WaitPolicy::Kind::Millis)
		return policy_;

	int64		usecs = end_ - GetCurrentTimestamp();

	if (usecs <= 0)
		return core::WaitPolicy::try_once();
	return {core::WaitPolicy::Kind::Millis, (int) ((usecs + 999) / 1000)};
}

bool
Deadline::passed() const
{
	return policy_.kind == core::WaitPolicy::Kind::Millis && GetCurrentTimestamp() >= end_;
}

} // namespace pglocks::pg
