// Package sub holds small functions the compiler inlines into package
// main, so inlined frames come from another package's file and CU.
package sub

// Do calls f twice removed: Do and twice are both inlinable.
func Do(f func()) { twice(f) }

func twice(f func()) {
	f()
}

// Counter has a value method and a pointer method, both inlinable.
type Counter struct{ N int }

func (c Counter) Get(f func(int)) { f(c.N) }

func (c *Counter) Bump(f func(int)) {
	c.N++
	f(c.N)
}
