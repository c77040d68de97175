package sandbox

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type uploadURLs struct {
	UploadUrl        string
	ResourceUrl      string
	ExpiredTimestamp int64
}

func (e *testEnv) createUpload() uploadURLs {
	e.t.Helper()
	var u uploadURLs
	mustOK(e.t, e.call(actionCreateURL, `{"TargetAction":"ApplyWebVerificationToken"}`)).decode(e.t, &u)
	return u
}

// put sends data to an UploadUrl; contentMD5 "" sends none.
func (e *testEnv) put(rawURL string, data []byte, contentMD5 string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPut, rawURL, bytes.NewReader(data))
	if contentMD5 != "" {
		req.Header.Set("Content-MD5", contentMD5)
	}
	rec := httptest.NewRecorder()
	e.page.ServeHTTP(rec, req)
	return rec
}

func (e *testEnv) get(rawURL string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, rawURL, nil))
	return rec
}

func contentMD5(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestLegacyFlow(t *testing.T) {
	e := newTestEnv(t, Options{})
	img := sampleJPEG()
	up := e.createUpload()
	if !strings.HasPrefix(up.UploadUrl, "http://page.test/upload/") || !strings.HasPrefix(up.ResourceUrl, "http://page.test/resource/") ||
		up.ExpiredTimestamp != e.clock.Now().Add(uploadURLTTL).Unix() {
		t.Fatalf("upload %+v", up)
	}
	rec := e.put(up.UploadUrl, img, contentMD5(img))
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"`+md5Hex(img)+`"` {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	if rec := e.get(up.ResourceUrl); rec.Code != http.StatusForbidden {
		t.Fatalf("ResourceUrl is readable: %d", rec.Code)
	}
	var applied struct {
		BizToken        string
		VerificationUrl string
	}
	mustOK(t, e.call(actionApplyLegacy, map[string]string{
		"RedirectUrl": "https://m.test/legacy", "CompareImageUrl": up.ResourceUrl, "CompareImageMd5": strings.ToUpper(md5Hex(img)),
	})).decode(t, &applied)
	if applied.VerificationUrl != "http://page.test/reflect/?token="+applied.BizToken {
		t.Fatalf("apply %+v", applied)
	}

	var pending resultLegacyResponse
	mustOK(t, e.call(actionResult, map[string]string{"BizToken": applied.BizToken})).decode(t, &pending)
	if pending.ErrorCode != nil || pending.VideoUrl != nil {
		t.Fatalf("pending %+v", pending)
	}
	if err := e.sb.SetOutcome(applied.BizToken, Outcome{Result: ResultCompareFail}); err != nil {
		t.Fatal(err)
	}
	var res resultLegacyResponse
	mustOK(t, e.call(actionResult, map[string]string{"BizToken": applied.BizToken})).decode(t, &res)
	if res.ErrorCode == nil || *res.ErrorCode != 2016 || len(res.VerificationDetailList) != 1 ||
		res.VideoBestFrameUrl == nil || res.VideoUrl == nil {
		t.Fatalf("result %+v", res)
	}
	if strings.Contains(*res.VideoUrl, applied.BizToken) {
		t.Fatal("media link names the BizToken")
	}
	for _, m := range []struct{ url, md5, ctype string }{
		{*res.VideoBestFrameUrl, *res.VideoBestFrameMd5, "image/jpeg"},
		{*res.VideoUrl, *res.VideoMd5, "video/mp4"},
	} {
		rec := e.get(m.url)
		sum := md5.Sum(rec.Body.Bytes())
		if rec.Code != http.StatusOK || hex.EncodeToString(sum[:]) != m.md5 || rec.Header().Get("Content-Type") != m.ctype {
			t.Fatalf("media %s: %d, md5 %x, want %s", m.url, rec.Code, sum, m.md5)
		}
	}
	// Media links last ten minutes; a fresh read mints fresh links.
	e.clock.Advance(mediaURLTTL + time.Second)
	if rec := e.get(*res.VideoUrl); rec.Code != http.StatusForbidden {
		t.Fatalf("expired media link: %d", rec.Code)
	}
	var again resultLegacyResponse
	mustOK(t, e.call(actionResult, map[string]string{"BizToken": applied.BizToken})).decode(t, &again)
	if rec := e.get(*again.VideoUrl); rec.Code != http.StatusOK {
		t.Fatalf("fresh media link: %d", rec.Code)
	}
	if rec := e.get(strings.Replace(*again.VideoUrl, "sig=", "sig=0", 1)); rec.Code != http.StatusForbidden {
		t.Fatalf("forged media link: %d", rec.Code)
	}
	// The legacy token lasts LegacyTokenTTL for reads too, and is no intl token.
	if r := e.call(actionResultIntl, map[string]string{"BizToken": applied.BizToken}); r.Code != codeBizTokenIllegal {
		t.Fatalf("legacy token on the intl result: %q", r.Code)
	}
	e.clock.Advance(DefaultLegacyTokenTTL)
	if r := e.call(actionResult, map[string]string{"BizToken": applied.BizToken}); r.Code != codeBizTokenExpired {
		t.Fatalf("after the TTL: %q", r.Code)
	}
}

func TestLegacyApplyChecksTheUpload(t *testing.T) {
	e := newTestEnv(t, Options{})
	img := sampleJPEG()
	apply := func(resource, sum string) string {
		return e.call(actionApplyLegacy, map[string]string{
			"RedirectUrl": "https://m.test/legacy", "CompareImageUrl": resource, "CompareImageMd5": sum,
		}).Code
	}
	up := e.createUpload()
	if code := apply(up.ResourceUrl, md5Hex(img)); code != codeInvalidParameterValue {
		t.Fatalf("nothing uploaded yet: %q", code)
	}
	e.put(up.UploadUrl, img, "")
	if code := apply(up.ResourceUrl, md5Hex([]byte("other"))); code != codeInvalidParameterValue {
		t.Fatalf("wrong MD5: %q", code)
	}
	gif := e.createUpload()
	e.put(gif.UploadUrl, []byte("GIF89a..."), "")
	if code := apply(gif.ResourceUrl, md5Hex([]byte("GIF89a..."))); code != codeInvalidParameterValue {
		t.Fatalf("not an image: %q", code)
	}
	if code := apply(up.ResourceUrl, md5Hex(img)); code != "" {
		t.Fatalf("valid: %q", code)
	}
	// Uploads are kept two hours.
	e.clock.Advance(uploadKeep + time.Second)
	if code := apply(up.ResourceUrl, md5Hex(img)); code != codeInvalidParameterValue {
		t.Fatalf("after two hours: %q", code)
	}
}

func TestUploadTarget(t *testing.T) {
	e := newTestEnv(t, Options{})
	up := e.createUpload()
	img := sampleJPEG()
	cases := []struct {
		name   string
		url    string
		body   []byte
		md5    string
		status int
		code   string
	}{
		{"forged signature", strings.Replace(up.UploadUrl, "sig=", "sig=1", 1), img, "", http.StatusForbidden, "AccessDenied"},
		{"changed expiry", strings.Replace(up.UploadUrl, "expires=", "expires=9", 1), img, "", http.StatusForbidden, "AccessDenied"},
		{"other id", strings.Replace(up.UploadUrl, "/upload/", "/upload/0", 1), img, "", http.StatusForbidden, "AccessDenied"},
		{"Content-MD5 mismatch", up.UploadUrl, img, contentMD5([]byte("x")), http.StatusBadRequest, "BadDigest"},
		{"Content-MD5 malformed", up.UploadUrl, img, "abc", http.StatusBadRequest, "InvalidDigest"},
		{"over 10 MB", up.UploadUrl, make([]byte, maxUploadSize+1), "", http.StatusBadRequest, "EntityTooLarge"},
		{"valid", up.UploadUrl, img, contentMD5(img), http.StatusOK, ""},
	}
	for _, tc := range cases {
		rec := e.put(tc.url, tc.body, tc.md5)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.code) {
			t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
	}
	e.clock.Advance(uploadURLTTL + time.Second)
	if rec := e.put(up.UploadUrl, img, ""); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "expired") {
		t.Errorf("expired upload URL: %d %s", rec.Code, rec.Body)
	}
}

func TestUploadMemoryBounded(t *testing.T) {
	e := newTestEnv(t, Options{})
	for range maxUploads {
		e.createUpload()
	}
	if r := e.call(actionCreateURL, `{"TargetAction":"ApplyWebVerificationToken"}`); r.Code != codeLimitExceeded {
		t.Fatalf("upload %d: %q", maxUploads+1, r.Code)
	}
	// Unused upload targets are forgotten when their URL expires.
	e.clock.Advance(uploadURLTTL + time.Second)
	e.createUpload()
	e.sb.mu.Lock()
	n := len(e.sb.uploads)
	e.sb.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d uploads kept, want 1", n)
	}
}
