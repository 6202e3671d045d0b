package ratelimit

import "testing"

func TestBucketPerKey(t *testing.T) {
	l := New(0.001, 3)
	for i := range 3 {
		if d := l.Take("a"); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("take %d: %+v", i, d)
		}
	}
	if d := l.Check("a"); d.Allowed {
		t.Fatalf("check after the burst: %+v", d)
	}
	d := l.Take("a")
	if d.Allowed || d.RetryAfter <= 0 || d.Reset < d.RetryAfter || d.Limit != 3 {
		t.Fatalf("over the burst: %+v", d)
	}
	if d := l.Check("b"); !d.Allowed || d.Remaining != 3 {
		t.Fatalf("another key has its own bucket, and Check spends nothing: %+v", d)
	}
}
