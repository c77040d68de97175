package core

import (
	"maps"
	"sync"
)

// MessageID names a sentence the product shows the end user. The words live in the
// catalogue, one table per language, so every page and answer says the same thing in the
// user's language.
type MessageID string

// Messages of verification outcomes.
const (
	MsgPending           MessageID = "result.pending"
	MsgPassed            MessageID = "result.passed"
	MsgFailedUnknown     MessageID = "result.failed_unknown"
	MsgRequestIncomplete MessageID = "result.request_incomplete"
	MsgRequestInvalid    MessageID = "result.request_invalid"
	MsgTencentSystem     MessageID = "result.system"
	MsgAlreadyCompleted  MessageID = "result.already_completed"
	MsgLinkExpired       MessageID = "result.link_expired"
	MsgRetryLimit        MessageID = "result.retry_limit"
	MsgNotFinished       MessageID = "result.not_finished"
	MsgVideo             MessageID = "result.video"
	MsgSpoof             MessageID = "result.spoof"
	MsgNoFace            MessageID = "result.no_face"
	MsgLivenessFailed    MessageID = "result.liveness_failed"
	MsgNoSound           MessageID = "result.no_sound"
	MsgFaceVisible       MessageID = "result.face_visible"
	MsgSpeech            MessageID = "result.speech"
	MsgQuiet             MessageID = "result.quiet"
	MsgVideoLength       MessageID = "result.video_length"
	MsgVideoQuality      MessageID = "result.video_quality"
	MsgLips              MessageID = "result.lips"
	MsgTooDark           MessageID = "result.too_dark"
	MsgTooBright         MessageID = "result.too_bright"
	MsgTooClose          MessageID = "result.too_close"
	MsgTooRight          MessageID = "result.too_right"
	MsgTooFar            MessageID = "result.too_far"
	MsgTooLeft           MessageID = "result.too_left"
	MsgNoBlink           MessageID = "result.no_blink"
	MsgNoAction          MessageID = "result.no_action"
	MsgNoMouth           MessageID = "result.no_mouth"
	MsgBelowThreshold    MessageID = "result.below_threshold"
	MsgVideoShort        MessageID = "result.video_short"
	MsgLightCheck        MessageID = "result.light_check"
	MsgTimeout           MessageID = "result.timeout"
	MsgUserExit          MessageID = "result.user_exit"
	MsgRefPhoto          MessageID = "result.reference_photo"
	MsgNoMatch           MessageID = "result.no_match"
	MsgMultipleFaces     MessageID = "result.multiple_faces"
	MsgDocument          MessageID = "result.document"
	MsgDocCut            MessageID = "result.document_cut"
	MsgDocPhotocopy      MessageID = "result.document_photocopy"
	MsgDocRephoto        MessageID = "result.document_rephotographed"
	MsgDocEdited         MessageID = "result.document_edited"
	MsgDocGlare          MessageID = "result.document_glare"
	MsgDocBlur           MessageID = "result.document_blur"
)

// codeEntry is one row of the result code table.
type codeEntry struct {
	category Category
	message  MessageID
}

// resultCodes is the ErrorCode table of Tencent's H5 verification, each with what the
// user can do.
var resultCodes = map[int64]codeEntry{
	1:  {CategorySystem, MsgRequestIncomplete},
	2:  {CategorySystem, MsgRequestInvalid},
	3:  {CategorySystem, MsgRequestInvalid},
	4:  {CategorySystem, MsgTencentSystem},
	8:  {CategorySystem, MsgTencentSystem},
	9:  {CategorySystem, MsgTencentSystem},
	10: {CategorySystem, MsgTencentSystem},
	11: {CategorySystem, MsgTencentSystem},
	14: {CategorySystem, MsgAlreadyCompleted},
	15: {CategoryExpired, MsgLinkExpired},
	16: {CategoryRetryLimit, MsgRetryLimit},
	// 17 is read as pending by Interpret; the row gives it a message all the same.
	17:  {"", MsgNotFinished},
	202: {CategorySystem, MsgVideo},

	1001: {CategoryLiveness, MsgTencentSystem},
	1002: {CategoryLiveness, MsgSpoof},
	1003: {CategoryLiveness, MsgSpoof},
	1004: {CategoryLiveness, MsgNoFace},
	1005: {CategoryLiveness, MsgLivenessFailed},
	1101: {CategoryLiveness, MsgNoSound},
	1102: {CategoryLiveness, MsgFaceVisible},
	1103: {CategoryLiveness, MsgSpeech},
	1104: {CategoryLiveness, MsgVideo},
	1105: {CategoryLiveness, MsgVideo},
	1106: {CategoryLiveness, MsgQuiet},
	1107: {CategoryLiveness, MsgVideoLength},
	1108: {CategoryLiveness, MsgVideoQuality},
	1109: {CategoryLiveness, MsgLips},
	1201: {CategoryLiveness, MsgTooDark},
	1202: {CategoryLiveness, MsgTooBright},
	1203: {CategoryLiveness, MsgTooClose},
	1204: {CategoryLiveness, MsgTooRight},
	1205: {CategoryLiveness, MsgTooFar},
	1206: {CategoryLiveness, MsgTooLeft},
	1207: {CategoryLiveness, MsgNoBlink},
	1208: {CategoryLiveness, MsgNoAction},
	1209: {CategoryLiveness, MsgNoMouth},
	1210: {CategoryLiveness, MsgFaceVisible},
	1301: {CategoryLiveness, MsgSpoof},
	1302: {CategoryLiveness, MsgBelowThreshold},
	1303: {CategoryLiveness, MsgVideoShort},
	1401: {CategoryLiveness, MsgLightCheck},
	1409: {CategoryTimeout, MsgTimeout},
	1410: {CategoryUserExit, MsgUserExit},

	2001: {CategoryCompare, MsgTencentSystem},
	2004: {CategoryCompare, MsgRefPhoto},
	2009: {CategoryCompare, MsgRefPhoto},
	2010: {CategoryCompare, MsgRefPhoto},
	2011: {CategoryCompare, MsgNoMatch},
	2012: {CategoryCompare, MsgMultipleFaces},
	2013: {CategoryCompare, MsgFaceVisible},
	2014: {CategoryCompare, MsgRefPhoto},
	2015: {CategoryCompare, MsgNoMatch},
	2016: {CategoryCompare, MsgNoMatch},

	// The document warnings of SelectedWarningCodes. The code table has no document
	// codes; when the document step intercepts a warning, its code is the most specific
	// answer there is, so these are read as document failures too.
	-9101: {CategoryDocument, MsgDocCut},
	-9102: {CategoryDocument, MsgDocPhotocopy},
	-9103: {CategoryDocument, MsgDocRephoto},
	-9104: {CategoryDocument, MsgDocEdited},
	-9107: {CategoryDocument, MsgDocGlare},
	-9108: {CategoryDocument, MsgDocBlur},
	-9109: {CategoryDocument, MsgDocument},
}

// DefaultLanguage is the language of the catalogue every other one falls back to.
const DefaultLanguage = "en"

// Text returns the message in lang, or in English when lang has no catalogue or no
// translation of it.
func (id MessageID) Text(lang string) string {
	if m, ok := catalogue()[lang][id]; ok {
		return m
	}
	return catalogue()[DefaultLanguage][id]
}

// catalogue holds every user-facing sentence, by language. It is built at its first use
// rather than when the program starts: a callback that only redirects never needs it.
var catalogue = sync.OnceValue(func() map[string]map[MessageID]string {
	return map[string]map[MessageID]string{
		"en":    englishCatalog(),
		"th":    thaiCatalog(),
		"id":    indonesianCatalog(),
		"zh-cn": simplifiedChineseCatalog(),
		"zh-tc": traditionalChineseCatalog(),
	}
})

// languages are the languages of the catalogue, Tencent's five, English first, each with
// its name in itself for a language picker.
var languages = []struct{ code, name string }{
	{"en", "English"},
	{"zh-cn", "简体中文"},
	{"zh-tc", "繁體中文"},
	{"th", "ไทย"},
	{"id", "Bahasa Indonesia"},
}

// Languages returns the languages every page and message is written in: the five of
// Tencent's verification page, English first.
func Languages() []string {
	codes := make([]string, len(languages))
	for i, l := range languages {
		codes[i] = l.code
	}
	return codes
}

// LanguageName returns the name of lang written in lang, for a language picker, or "" for
// a language not in Languages.
func LanguageName(lang string) string {
	for _, l := range languages {
		if l.code == lang {
			return l.name
		}
	}
	return ""
}

// Catalogue returns a copy of every message in lang, for a page that says them all in the
// user's language, or nil for a language not in Languages.
func Catalogue(lang string) map[MessageID]string {
	return maps.Clone(catalogue()[lang])
}
