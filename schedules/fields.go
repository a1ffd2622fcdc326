package schedules

import "wardstat/transform"

func knownField(f string) bool {
	for _, k := range transform.Fields() {
		if k == f {
			return true
		}
	}
	return false
}
