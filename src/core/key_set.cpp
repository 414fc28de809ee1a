#include "core/key_set.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/cpp_only.hpp"

namespace pglocks::core {

std::size_t order_keys(std::int64_t *ids, int *origin, std::size_t n) {
	std::iota(origin, origin + n, 0);
	// Stable on the id alone: a repeated key keeps its first position.
	std::stable_sort(origin, origin + n, [ids](int a, int b) { return ids[a] < ids[b]; });

	std::size_t kept = 0;
	std::int64_t last = 0;
	for (std::size_t i = 0; i < n; i++) {
		std::int64_t id = ids[origin[i]];
		if (kept > 0 && id == last)
			continue;
		origin[kept++] = origin[i];
		last = id;
	}
	std::vector<std::int64_t> given(ids, ids + n);
	for (std::size_t i = 0; i < kept; i++)
		ids[i] = given[origin[i]];
	return kept;
}

} // namespace pglocks::core
