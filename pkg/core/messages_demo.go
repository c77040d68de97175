package core

// Words of the demo merchant's start and return pages. The return page's buttons are
// MsgUICheckAgain, MsgUIStartAgain and MsgUIBackToShop; its advice for in-app browsers
// is MsgUIInApp and MsgUIInAppLINE.
const (
	MsgDemoShop          MessageID = "demo.shop.title"
	MsgDemoStartTitle    MessageID = "demo.start.title"
	MsgDemoStartLead     MessageID = "demo.start.lead"
	MsgDemoLanguageLabel MessageID = "demo.language.label"
	MsgDemoModeLabel     MessageID = "demo.mode.label"
	MsgDemoDocumentLabel MessageID = "demo.document.label"
	MsgDemoStartButton   MessageID = "demo.start.button"
	MsgDemoAnywayButton  MessageID = "demo.anyway.button"
	MsgDemoFooter        MessageID = "demo.footer"
	// MsgDemoStartFailedTitle heads the start page's notice when the shop could not
	// prepare the start.
	MsgDemoStartFailedTitle MessageID = "demo.start_failed.title"
	// MsgDemoEventsLink links the pages to the merchant's view of its webhook events.
	MsgDemoEventsLink MessageID = "demo.events_link.label"
	// The shop's own page, where "Back to the shop" leads.
	MsgDemoShopPageTitle MessageID = "demo.shop_page.title"
	MsgDemoShopPage      MessageID = "demo.shop_page"

	// The four check modes (Tencent's CheckMode).
	MsgDemoModeDocumentFace MessageID = "demo.mode.document_face.option" // 1
	MsgDemoModeCompare      MessageID = "demo.mode.compare.option"       // 2
	MsgDemoModeLiveness     MessageID = "demo.mode.liveness.option"      // 3
	MsgDemoModeDocument     MessageID = "demo.mode.document.option"      // 4

	// The document types (Tencent's IDCardType).
	MsgDemoDocHK          MessageID = "demo.document.hk_id_card.option"
	MsgDemoDocMalaysia    MessageID = "demo.document.malaysia_id_card.option"
	MsgDemoDocIndonesia   MessageID = "demo.document.indonesia_id_card.option"
	MsgDemoDocPHVoter     MessageID = "demo.document.philippines_voter_id.option"
	MsgDemoDocPHDriving   MessageID = "demo.document.philippines_driving_licence.option"
	MsgDemoDocPHTIN       MessageID = "demo.document.philippines_tin_id.option"
	MsgDemoDocPHSSS       MessageID = "demo.document.philippines_sss_id.option"
	MsgDemoDocPHUMID      MessageID = "demo.document.philippines_umid.option"
	MsgDemoDocPassport    MessageID = "demo.document.passport.option"
	MsgDemoDocThailand    MessageID = "demo.document.thailand_id_card.option"
	MsgDemoDocSingapore   MessageID = "demo.document.singapore_id_card.option"
	MsgDemoDocMainlandChn MessageID = "demo.document.mainland_id_card.option"

	// Browser compatibility: a verdict per level of compat.js, then the explanation.
	MsgDemoCompatOKTitle          MessageID = "demo.compat.ok.title"
	MsgDemoCompatOK               MessageID = "demo.compat.ok"
	MsgDemoCompatDegradedTitle    MessageID = "demo.compat.degraded.title"
	MsgDemoCompatUnsupportedTitle MessageID = "demo.compat.unsupported.title"
	MsgDemoCompatDesktop          MessageID = "demo.compat.desktop"
	MsgDemoCompatIOSOld           MessageID = "demo.compat.ios_old"
	MsgDemoCompatIOSOtherBrowser  MessageID = "demo.compat.ios_other_browser"
	MsgDemoCompatWeChatOld        MessageID = "demo.compat.wechat_old"
	MsgDemoCompatAndroidOld       MessageID = "demo.compat.android_old"
	MsgDemoCompatQQ               MessageID = "demo.compat.qq_browser"
	MsgDemoCompatUC               MessageID = "demo.compat.uc_browser"
	MsgDemoCompatHuawei           MessageID = "demo.compat.huawei"
	MsgDemoCompatXiaomi           MessageID = "demo.compat.xiaomi"

	// The camera advice: Tencent's three camera messages and what to do about each.
	MsgDemoCameraHelpTitle       MessageID = "demo.camera_help.title"
	MsgDemoCameraBusyTitle       MessageID = "demo.camera_busy.title"
	MsgDemoCameraBusy            MessageID = "demo.camera_busy"
	MsgDemoCameraPermissionTitle MessageID = "demo.camera_permission.title"
	MsgDemoCameraPermission      MessageID = "demo.camera_permission"
	MsgDemoCameraNoPrompt        MessageID = "demo.camera_no_prompt"
	MsgDemoCameraCheckTitle      MessageID = "demo.camera_check.title"
	MsgDemoCameraCheck           MessageID = "demo.camera_check"

	// The desktop's way to the phone (the cross-device handoff): the start page's second
	// button, and the panel that shows the phone's link as a QR code and follows the
	// verification there. The panel's progress says MsgUIWaitingForPhone, then
	// MsgUIInProgressPhone; its instruction is MsgUIScanCode, its copy button MsgUICopyLink.
	MsgDemoHandoffButton       MessageID = "demo.handoff.button"
	MsgDemoHandoffTitle        MessageID = "demo.handoff.title"
	MsgDemoHandoffQRLabel      MessageID = "demo.handoff.qr.label"
	MsgDemoHandoffLinkLabel    MessageID = "demo.handoff.link.label"
	MsgDemoHandoffExpires      MessageID = "demo.handoff.expires"
	MsgDemoHandoffDone         MessageID = "demo.handoff.done.status"
	MsgDemoHandoffExpiredTitle MessageID = "demo.handoff.expired.title"
	MsgDemoHandoffExpired      MessageID = "demo.handoff.expired"
	MsgDemoHandoffNewCode      MessageID = "demo.handoff.new_code.button"
	MsgDemoHandoffCancel       MessageID = "demo.handoff.cancel.button"
	// MsgDemoHandoffReconnecting is shown while the status cannot be read; the panel
	// keeps asking.
	MsgDemoHandoffReconnecting MessageID = "demo.handoff.reconnecting.status"

	// The return page: a heading and a message per status it shows.
	MsgDemoReturnTitle         MessageID = "demo.return.title"
	MsgDemoReturnCheckingTitle MessageID = "demo.return.checking.title"
	MsgDemoReturnPassedTitle   MessageID = "demo.return.passed.title"
	MsgDemoReturnPassed        MessageID = "demo.return.passed"
	MsgDemoReturnFailedTitle   MessageID = "demo.return.failed.title"
	MsgDemoReturnFailed        MessageID = "demo.return.failed"
	MsgDemoReturnPendingTitle  MessageID = "demo.return.pending.title"
	MsgDemoReturnPending       MessageID = "demo.return.pending"
	MsgDemoReturnExpiredTitle  MessageID = "demo.return.expired.title"
	MsgDemoReturnExpired       MessageID = "demo.return.expired"
	MsgDemoReturnErrorTitle    MessageID = "demo.return.error.title"
	MsgDemoReturnError         MessageID = "demo.return.error"
	MsgDemoReturnMissingTitle  MessageID = "demo.return.missing.title"
	MsgDemoReturnMissing       MessageID = "demo.return.missing"
	MsgDemoReturnCameraHelp    MessageID = "demo.return.camera_help"
)

// checkModeNames names the check modes, by Tencent's CheckMode.
var checkModeNames = map[int64]MessageID{
	1: MsgDemoModeDocumentFace,
	2: MsgDemoModeCompare,
	3: MsgDemoModeLiveness,
	4: MsgDemoModeDocument,
}

// CheckModeName returns the name of a check mode (Tencent's CheckMode, 1-4) for a picker,
// and false for another number.
func CheckModeName(mode int64) (MessageID, bool) {
	id, ok := checkModeNames[mode]
	return id, ok
}

// documentNames names the document types, by Tencent's IDCardType.
var documentNames = map[string]MessageID{
	"HKIDCard":                  MsgDemoDocHK,
	"MLIDCard":                  MsgDemoDocMalaysia,
	"IndonesiaIDCard":           MsgDemoDocIndonesia,
	"PhilippinesVoteID":         MsgDemoDocPHVoter,
	"PhilippinesDrivingLicense": MsgDemoDocPHDriving,
	"PhilippinesTinID":          MsgDemoDocPHTIN,
	"PhilippinesSSSID":          MsgDemoDocPHSSS,
	"PhilippinesUMID":           MsgDemoDocPHUMID,
	"InternationalIDPassport":   MsgDemoDocPassport,
	"ThailandIDCard":            MsgDemoDocThailand,
	"SingaporeIDCard":           MsgDemoDocSingapore,
	"MainlandIDCard":            MsgDemoDocMainlandChn,
}

// DocumentName returns the name of a document type (Tencent's IDCardType) for a picker,
// and false for a type it does not know.
func DocumentName(idCardType string) (MessageID, bool) {
	id, ok := documentNames[idCardType]
	return id, ok
}
