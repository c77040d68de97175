package sandbox

import (
	"testing"
)

// BenchmarkApplyAndResult is one signed ApplyWebVerificationBizTokenIntl and one signed
// GetWebVerificationResultIntl through the API handler, signing and verification included.
func BenchmarkApplyAndResult(b *testing.B) {
	e := newTestEnv(b, Options{})
	body := applyBody(withConfig("Language", "en"))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var resp struct{ BizToken string }
		mustOK(b, e.call(actionApplyIntl, body)).decode(b, &resp)
		mustOK(b, e.call(actionResultIntl, `{"BizToken":"`+resp.BizToken+`"}`))
		// Every 10,000 tokens the clock jumps past their lifetime, so the next apply's
		// sweep reclaims them and the map stays small whatever b.N is.
		if n++; n%10_000 == 0 {
			e.clock.Advance(3 * DefaultResultWindow)
		}
	}
}
