package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/demo"
)

// hints is what index.js passes checkCompat besides the user agent: touch points and
// Chrome's client hints (navigator.userAgentData.getHighEntropyValues).
type hints struct {
	MaxTouchPoints  int    `json:"maxTouchPoints,omitempty"`
	Platform        string `json:"platform,omitempty"`
	PlatformVersion string `json:"platformVersion,omitempty"`
	Model           string `json:"model,omitempty"`
}

// reducedAndroidChrome is what Chrome 110+ on any Android phone sends: the model and the
// Android version are frozen, and only the client hints tell them.
const reducedAndroidChrome = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"

// iPadSafari is what Safari on iPadOS 13+ sends by default: a Mac's user agent.
const iPadSafari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"

// User agents as the browsers send them, one or more per row of Tencent's compatibility
// table, with the boundaries of each version rule.
// User agents as the browsers send them, one or more per row of Tencent's compatibility
// table, with the boundaries of each version rule, and the in-app browsers.
var compatCases = []struct {
	name, ua, level string
	reason          core.MessageID // the catalogue's explanation the page shows
	hints           hints
	app             string // the in-app browser recognised
}{
	{"iOS 17 Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
		"ok", "demo.compat.ok", hints{}, ""},
	{"iOS 11.1.2 Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 11_1_2 like Mac OS X) AppleWebKit/604.3.5 (KHTML, like Gecko) Version/11.0 Mobile/15B202 Safari/604.1",
		"ok", "demo.compat.ok", hints{}, ""},
	{"iOS 11.1.1 Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 11_1_1 like Mac OS X) AppleWebKit/604.3.5 (KHTML, like Gecko) Version/11.0 Mobile/15B150 Safari/604.1",
		"degraded", "demo.compat.ios_old", hints{}, ""},
	{"iOS 10 Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X) AppleWebKit/603.3.8 (KHTML, like Gecko) Version/10.0 Mobile/14G60 Safari/602.1",
		"degraded", "demo.compat.ios_old", hints{}, ""},
	{"iOS 14.2 Chrome", "Mozilla/5.0 (iPhone; CPU iPhone OS 14_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/87.0.4280.77 Mobile/15E148 Safari/604.1",
		"degraded", "demo.compat.ios_other_browser", hints{}, ""},
	{"iOS 14.3 Chrome", "Mozilla/5.0 (iPhone; CPU iPhone OS 14_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/87.0.4280.77 Mobile/15E148 Safari/604.1",
		"ok", "demo.compat.ok", hints{}, ""},
	{"iPad iOS 13 Chrome", "Mozilla/5.0 (iPad; CPU OS 13_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/83.0.4103.88 Mobile/15E148 Safari/604.1",
		"degraded", "demo.compat.ios_other_browser", hints{}, ""},
	{"iOS 16 WeChat 8", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x1800282a) NetType/WIFI Language/zh_CN",
		"ok", "demo.compat.ok", hints{}, ""},
	{"iOS 14.2 WeChat 8", "Mozilla/5.0 (iPhone; CPU iPhone OS 14_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.2(0x18000231) NetType/4G Language/en",
		"degraded", "demo.compat.ios_other_browser", hints{}, ""},
	{"iOS 15 WeChat 6.3", "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/6.3.9 NetType/WIFI Language/zh_CN",
		"degraded", "demo.compat.wechat_old", hints{}, ""},
	{"Android 14 Chrome", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
		"ok", "demo.compat.ok", hints{}, ""},
	{"Android 7 Samsung Internet", "Mozilla/5.0 (Linux; Android 7.0; SAMSUNG SM-G930F Build/NRD90M) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/7.2 Chrome/59.0.3071.125 Mobile Safari/537.36",
		"ok", "demo.compat.ok", hints{}, ""},
	{"Android 6 Chrome", "Mozilla/5.0 (Linux; Android 6.0.1; SM-G920F Build/MMB29K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.210 Mobile Safari/537.36",
		"degraded", "demo.compat.android_old", hints{}, ""},
	{"Android QQ Browser", "Mozilla/5.0 (Linux; U; Android 10; zh-cn; V1938CT Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/66.0.3359.126 MQQBrowser/10.9 Mobile Safari/537.36",
		"unsupported", "demo.compat.qq_browser", hints{}, ""},
	{"Android UC Browser", "Mozilla/5.0 (Linux; U; Android 11; en-US; RMX2001 Build/RP1A.200720.011) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36",
		"unsupported", "demo.compat.uc_browser", hints{}, ""},
	{"Android WeChat with X5 kernel", "Mozilla/5.0 (Linux; Android 10; VOG-AL00 Build/HUAWEIVOG-AL00; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.62 XWEB/2693 MMWEBSDK/201001 Mobile Safari/537.36 MMWEBID/3500 MicroMessenger/7.0.20.1781(0x2700143B) Process/toolsmp WeChat/arm64 NetType/WIFI Language/zh_CN ABI/arm64",
		"ok", "demo.compat.ok", hints{}, ""},
	{"Huawei Chrome", "Mozilla/5.0 (Linux; Android 10; ELS-NX9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
		"degraded", "demo.compat.huawei", hints{}, ""},
	{"Huawei WebView", "Mozilla/5.0 (Linux; Android 12; HUAWEI P40 Build/HUAWEIANA-N29; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.196 Mobile Safari/537.36",
		"degraded", "demo.compat.huawei", hints{}, ""},
	{"Huawei Browser", "Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-NX9; HMSCore 6.11.0.332) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.0.322 Mobile Safari/537.36",
		"ok", "demo.compat.ok", hints{}, ""},
	{"Xiaomi MIUI Browser", "Mozilla/5.0 (Linux; U; Android 12; en-gb; M2101K6G Build/SKQ1.210908.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.127 Mobile Safari/537.36 XiaoMi/MiuiBrowser/13.10.1-gn",
		"degraded", "demo.compat.xiaomi", hints{}, ""},
	{"Huawei Chrome, reduced UA", reducedAndroidChrome, "degraded", "demo.compat.huawei",
		hints{MaxTouchPoints: 5, Platform: "Android", PlatformVersion: "10.0.0", Model: "ELS-NX9"}, ""},
	{"Huawei Chrome, reduced UA, HUAWEI model name", reducedAndroidChrome, "degraded", "demo.compat.huawei",
		hints{Platform: "Android", PlatformVersion: "12.0.0", Model: "HUAWEI P40"}, ""},
	{"Pixel Chrome, reduced UA", reducedAndroidChrome, "ok", "demo.compat.ok",
		hints{MaxTouchPoints: 5, Platform: "Android", PlatformVersion: "14.0.0", Model: "Pixel 8"}, ""},
	{"Android 6 Chrome, reduced UA", reducedAndroidChrome, "degraded", "demo.compat.android_old",
		hints{Platform: "Android", PlatformVersion: "6.0.1", Model: "SM-G920F"}, ""},
	// Hints from another platform never override what an Android user agent says.
	{"Android UA, desktop hints", reducedAndroidChrome, "ok", "demo.compat.ok",
		hints{Platform: "Linux", PlatformVersion: "6.1.0", Model: "ELS-NX9"}, ""},
	{"iPad Safari, desktop UA", iPadSafari, "ok", "demo.compat.ok", hints{MaxTouchPoints: 5}, ""},
	{"Mac Safari", iPadSafari, "degraded", "demo.compat.desktop", hints{}, ""},
	{"Windows Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"degraded", "demo.compat.desktop", hints{}, ""},
	{"empty", "", "degraded", "demo.compat.desktop", hints{}, ""},

	// Apps' built-in browsers, told apart before anything else: the user is asked to open
	// the page in the phone's browser. WeChat's (above) is not one of them: Tencent
	// supports it.
	{"Facebook on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.28.110;FBBV/561484345;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/563138013]",
		"inapp", "ui.in_app", hints{}, "facebook"},
	{"Facebook on Android", "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/443.0.0.23.229;]",
		"inapp", "ui.in_app", hints{}, "facebook"},
	{"Messenger on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 LightSpeed [FBAN/MessengerLiteForiOS;FBAV/440.0.0.40.107;FBBV/555262418;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/3;FBCR/;FBID/phone;FBLC/th_TH;FBOP/0]",
		"inapp", "ui.in_app", hints{}, "facebook"},
	{"Instagram on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.1.1.28.108 (iPhone14,2; iOS 17_1; en_US; en; scale=3.00; 1170x2532; 536988435)",
		"inapp", "ui.in_app", hints{}, "instagram"},
	{"Instagram on Android", "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240105.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Instagram 314.0.0.32.118 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 7; panther; panther; en_US; 553462310)",
		"inapp", "ui.in_app", hints{}, "instagram"},
	{"LINE on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.22.0",
		"inapp", "ui.in_app_line", hints{}, "line"},
	{"LINE on Android", "Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36 Line/13.22.1/IAB",
		"inapp", "ui.in_app_line", hints{}, "line"},
	{"TikTok on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_32.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/TH isDarkMode/0 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6",
		"inapp", "ui.in_app", hints{}, "tiktok"},
	{"TikTok on Android", "Mozilla/5.0 (Linux; Android 12; CPH2211 Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 trill_2023205030 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/32.5.3 ByteLocale/id-ID ByteFullLocale/id-ID Region/ID BytedanceWebview/d8a21c6",
		"inapp", "ui.in_app", hints{}, "tiktok"},
	{"TikTok, app name only", "Mozilla/5.0 (iPhone; CPU iPhone OS 15_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TikTok 26.2.0 rv:262018 (iPhone; iOS 15.4; en_PH) Cronet",
		"inapp", "ui.in_app", hints{}, "tiktok"},
	{"Twitter on Android", "Mozilla/5.0 (Linux; Android 14; SM-G991B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.210 Mobile Safari/537.36 TwitterAndroid",
		"inapp", "ui.in_app", hints{}, "twitter"},
	{"Snapchat on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.61.0.30 (like Safari/8616.1.25.10.3, panda)",
		"inapp", "ui.in_app", hints{}, "snapchat"},
	{"KakaoTalk on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.4.2",
		"inapp", "ui.in_app", hints{}, "kakaotalk"},
	// Browsers whose names merely look like an app's are not in-app browsers.
	{"Android Chrome, no app", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A; Pipeline/2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
		"ok", "demo.compat.ok", hints{}, ""},
}

// demoOnly serves just the demo page, enough for the compatibility checks.
func demoOnly(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/demo/", http.StripPrefix("/demo", demo.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCompatTable runs compat.js's checkCompat in the browser for every user agent of
// the table, so the rules are tested by the JavaScript engine that runs them.
func TestCompatTable(t *testing.T) {
	ctx := newTab(t, newBrowser(t))
	step(t, ctx, "open demo page", chromedp.Navigate(demoOnly(t)+"/demo/"), chromedp.WaitVisible(chromedp.ID("go")))

	type call struct {
		UA    string `json:"ua"`
		Hints hints  `json:"hints"`
	}
	calls := make([]call, len(compatCases))
	for i, c := range compatCases {
		calls[i] = call{c.ua, c.hints}
	}
	input, _ := json.Marshal(calls)
	type verdict struct {
		Level  string
		Reason core.MessageID
		App    string
	}
	got := value(t, ctx, "run checkCompat", chromedp.Evaluate[[]verdict](
		`import("./compat.js").then(m => `+string(input)+`.map(c => m.checkCompat(c.ua, c.hints)))`,
		chromedp.EvalAwaitPromise))
	if len(got) != len(compatCases) {
		t.Fatalf("%d verdicts for %d user agents", len(got), len(compatCases))
	}
	english := core.Catalogue("en")
	for i, c := range compatCases {
		if got[i].Level != c.level || got[i].Reason != c.reason || got[i].App != c.app {
			t.Errorf("%s: got %+v, want %s %s %q", c.name, got[i], c.level, c.reason, c.app)
		}
		// The explanation is the catalogue's, so the page has its words in every language.
		if english[c.reason] == "" {
			t.Errorf("%s: %s is not in the catalogue", c.name, c.reason)
		}
	}
}

// TestUnsupportedBrowserIsStopped loads the local stack's start page as UC Browser and
// QQ Browser on Android: the page must say which browser to use, offer the page's link to
// copy into it, and must not leave for /start, until the user insists.
func TestUnsupportedBrowserIsStopped(t *testing.T) {
	browser := newBrowser(t)
	base := startStack(t).Gateway
	for _, c := range compatCases {
		if c.level != "unsupported" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ctx := newTab(t, browser)
			step(t, ctx, "open demo page as "+c.name,
				userAgent(c.ua),
				chromedp.Navigate(base+"/demo/"),
				chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="unsupported"]`)),
				chromedp.Click(chromedp.ID("go")),
				chromedp.WaitVisible(chromedp.ID("anyway")),
			)
			notice := value(t, ctx, "read notice", chromedp.Text(chromedp.ID("compat")))
			for _, id := range []core.MessageID{core.MsgDemoCompatUnsupportedTitle, c.reason, core.MsgUICopyLink} {
				if !strings.Contains(notice, say("en", id)) {
					t.Errorf("notice %q lacks %q", notice, say("en", id))
				}
			}
			focused := value(t, ctx, "read focus", chromedp.Evaluate[string](`document.activeElement.id`))
			if focused != "compat" {
				t.Errorf("focus on #%s, want the notice", focused)
			}
			loc := value(t, ctx, "read location", chromedp.Location())
			if !strings.HasSuffix(loc, "/demo/") {
				t.Errorf("page left for %s; an unsupported browser must stay on the start page", loc)
			}
			screenshot(t, ctx, "compat-"+c.name, false)

			// "Try anyway" is the user's call: it starts the verification all the same.
			step(t, ctx, "try anyway",
				chromedp.Click(chromedp.ID("anyway")),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="intro"]`)),
			)
		})
	}
}

// TestClientHintsReachTheCheck loads the start page as Chrome on a Huawei phone sends it
// today: a reduced user agent that names no phone, and client hints that do. The page
// must ask for the hints and warn that a video will be recorded.
func TestClientHintsReachTheCheck(t *testing.T) {
	ctx := newTab(t, newBrowser(t))
	base := demoOnly(t)
	for _, c := range []struct {
		model, level string
		says         core.MessageID
	}{
		{"ELS-NX9", "degraded", core.MsgDemoCompatHuawei},
		{"Pixel 8", "ok", core.MsgDemoCompatOK},
	} {
		override := emulation.SetUserAgentOverrideParams{
			UserAgent: reducedAndroidChrome,
			UserAgentMetadata: &emulation.UserAgentMetadata{
				Brands:          []*emulation.UserAgentBrandVersion{{Brand: "Chromium", Version: "124"}},
				Platform:        "Android",
				PlatformVersion: "10.0.0",
				Model:           c.model,
				Mobile:          true,
			},
		}
		step(t, ctx, "open demo page as Chrome on "+c.model,
			overrideUserAgent(override),
			chromedp.Navigate(base+"/demo/"),
			chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="`+c.level+`"]`)),
		)
		notice := value(t, ctx, "read notice", chromedp.Text(chromedp.ID("compat")))
		if !strings.Contains(notice, say("en", c.says)) {
			t.Errorf("%s: notice %q, want %q", c.model, notice, say("en", c.says))
		}
	}
}
