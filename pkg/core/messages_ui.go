package core

// The last part of a message ID names its kind: title (a page title or heading), button,
// label, option or status are one short line; an ID without a kind is a message of at
// most two lines.

// Titles and messages of the API's error codes, for the pages that show them to a user.
// They say what to do in plain words and never show the code.
const (
	MsgErrInvalidRequestTitle        MessageID = "error.invalid_request.title"
	MsgErrInvalidRequest             MessageID = "error.invalid_request.message"
	MsgErrInvalidTokenTitle          MessageID = "error.invalid_token.title"
	MsgErrInvalidToken               MessageID = "error.invalid_token.message"
	MsgErrInvalidReturnToTitle       MessageID = "error.invalid_return_to.title"
	MsgErrInvalidReturnTo            MessageID = "error.invalid_return_to.message"
	MsgErrInvalidOptionTitle         MessageID = "error.invalid_option.title"
	MsgErrInvalidOption              MessageID = "error.invalid_option.message"
	MsgErrInvalidImageTitle          MessageID = "error.invalid_image.title"
	MsgErrInvalidImage               MessageID = "error.invalid_image.message"
	MsgErrImageNotFoundTitle         MessageID = "error.image_not_found.title"
	MsgErrImageNotFound              MessageID = "error.image_not_found.message"
	MsgErrImageTooLargeTitle         MessageID = "error.image_too_large.title"
	MsgErrImageTooLarge              MessageID = "error.image_too_large.message"
	MsgErrBodyTooLargeTitle          MessageID = "error.body_too_large.title"
	MsgErrBodyTooLarge               MessageID = "error.body_too_large.message"
	MsgErrUnsupportedMediaTypeTitle  MessageID = "error.unsupported_media_type.title"
	MsgErrUnsupportedMediaType       MessageID = "error.unsupported_media_type.message"
	MsgErrMethodNotAllowedTitle      MessageID = "error.method_not_allowed.title"
	MsgErrMethodNotAllowed           MessageID = "error.method_not_allowed.message"
	MsgErrNotFoundTitle              MessageID = "error.not_found.title"
	MsgErrNotFound                   MessageID = "error.not_found.message"
	MsgErrUnauthorizedTitle          MessageID = "error.unauthorized.title"
	MsgErrUnauthorized               MessageID = "error.unauthorized.message"
	MsgErrStartTokenRequiredTitle    MessageID = "error.start_token_required.title"
	MsgErrStartTokenRequired         MessageID = "error.start_token_required.message"
	MsgErrInvalidStartTokenTitle     MessageID = "error.invalid_start_token.title"
	MsgErrInvalidStartToken          MessageID = "error.invalid_start_token.message"
	MsgErrInvalidTicketTitle         MessageID = "error.invalid_ticket.title"
	MsgErrInvalidTicket              MessageID = "error.invalid_ticket.message"
	MsgErrBindingMismatchTitle       MessageID = "error.binding_mismatch.title"
	MsgErrBindingMismatch            MessageID = "error.binding_mismatch.message"
	MsgErrSessionNotFoundTitle       MessageID = "error.session_not_found.title"
	MsgErrSessionNotFound            MessageID = "error.session_not_found.message"
	MsgErrSessionDeletedTitle        MessageID = "error.session_deleted.title"
	MsgErrSessionDeleted             MessageID = "error.session_deleted.message"
	MsgErrTokenExpiredTitle          MessageID = "error.token_expired.title"
	MsgErrTokenExpired               MessageID = "error.token_expired.message"
	MsgErrUpstreamUnavailableTitle   MessageID = "error.upstream_unavailable.title"
	MsgErrUpstreamUnavailable        MessageID = "error.upstream_unavailable.message"
	MsgErrStorageUnavailableTitle    MessageID = "error.storage_unavailable.title"
	MsgErrStorageUnavailable         MessageID = "error.storage_unavailable.message"
	MsgErrStartTokenUsedTitle        MessageID = "error.start_token_used.title"
	MsgErrStartTokenUsed             MessageID = "error.start_token_used.message"
	MsgErrIdempotencyReusedTitle     MessageID = "error.idempotency_key_reused.title"
	MsgErrIdempotencyReused          MessageID = "error.idempotency_key_reused.message"
	MsgErrIdempotencyBusyTitle       MessageID = "error.idempotency_in_progress.title"
	MsgErrIdempotencyBusy            MessageID = "error.idempotency_in_progress.message"
	MsgErrHandoffNotFoundTitle       MessageID = "error.handoff_not_found.title"
	MsgErrHandoffNotFound            MessageID = "error.handoff_not_found.message"
	MsgErrHandoffUsedTitle           MessageID = "error.handoff_used.title"
	MsgErrHandoffUsed                MessageID = "error.handoff_used.message"
	MsgErrHandoffExpiredTitle        MessageID = "error.handoff_expired.title"
	MsgErrHandoffExpired             MessageID = "error.handoff_expired.message"
	MsgErrUpstreamRejectedTitle      MessageID = "error.upstream_rejected.title"
	MsgErrUpstreamRejected           MessageID = "error.upstream_rejected.message"
	MsgErrUpstreamMisconfiguredTitle MessageID = "error.upstream_misconfigured.title"
	MsgErrUpstreamMisconfigured      MessageID = "error.upstream_misconfigured.message"
	MsgErrInternalTitle              MessageID = "error.internal.title"
	MsgErrInternal                   MessageID = "error.internal.message"
)

// codeText is what a page says about an error code.
type codeText struct{ title, message MessageID }

// codeTexts gives every error code its page title and user message.
var codeTexts = map[Code]codeText{
	CodeInvalidRequest:        {MsgErrInvalidRequestTitle, MsgErrInvalidRequest},
	CodeInvalidToken:          {MsgErrInvalidTokenTitle, MsgErrInvalidToken},
	CodeInvalidReturnTo:       {MsgErrInvalidReturnToTitle, MsgErrInvalidReturnTo},
	CodeInvalidOption:         {MsgErrInvalidOptionTitle, MsgErrInvalidOption},
	CodeInvalidImage:          {MsgErrInvalidImageTitle, MsgErrInvalidImage},
	CodeImageNotFound:         {MsgErrImageNotFoundTitle, MsgErrImageNotFound},
	CodeImageTooLarge:         {MsgErrImageTooLargeTitle, MsgErrImageTooLarge},
	CodeBodyTooLarge:          {MsgErrBodyTooLargeTitle, MsgErrBodyTooLarge},
	CodeUnsupportedMediaType:  {MsgErrUnsupportedMediaTypeTitle, MsgErrUnsupportedMediaType},
	CodeMethodNotAllowed:      {MsgErrMethodNotAllowedTitle, MsgErrMethodNotAllowed},
	CodeNotFound:              {MsgErrNotFoundTitle, MsgErrNotFound},
	CodeUnauthorized:          {MsgErrUnauthorizedTitle, MsgErrUnauthorized},
	CodeStartTokenRequired:    {MsgErrStartTokenRequiredTitle, MsgErrStartTokenRequired},
	CodeInvalidStartToken:     {MsgErrInvalidStartTokenTitle, MsgErrInvalidStartToken},
	CodeInvalidTicket:         {MsgErrInvalidTicketTitle, MsgErrInvalidTicket},
	CodeBindingMismatch:       {MsgErrBindingMismatchTitle, MsgErrBindingMismatch},
	CodeSessionNotFound:       {MsgErrSessionNotFoundTitle, MsgErrSessionNotFound},
	CodeTokenExpired:          {MsgErrTokenExpiredTitle, MsgErrTokenExpired},
	CodeUpstreamUnavailable:   {MsgErrUpstreamUnavailableTitle, MsgErrUpstreamUnavailable},
	CodeUpstreamRejected:      {MsgErrUpstreamRejectedTitle, MsgErrUpstreamRejected},
	CodeUpstreamMisconfigured: {MsgErrUpstreamMisconfiguredTitle, MsgErrUpstreamMisconfigured},
	CodeInternal:              {MsgErrInternalTitle, MsgErrInternal},

	// The answer about a deleted session, whose Code is declared with the deletion.
	"session_deleted":         {MsgErrSessionDeletedTitle, MsgErrSessionDeleted},
	CodeStorageUnavailable:    {MsgErrStorageUnavailableTitle, MsgErrStorageUnavailable},
	CodeStartTokenUsed:        {MsgErrStartTokenUsedTitle, MsgErrStartTokenUsed},
	CodeIdempotencyKeyReused:  {MsgErrIdempotencyReusedTitle, MsgErrIdempotencyReused},
	CodeIdempotencyInProgress: {MsgErrIdempotencyBusyTitle, MsgErrIdempotencyBusy},
	CodeHandoffNotFound:       {MsgErrHandoffNotFoundTitle, MsgErrHandoffNotFound},
	CodeHandoffUsed:           {MsgErrHandoffUsedTitle, MsgErrHandoffUsed},
	CodeHandoffExpired:        {MsgErrHandoffExpiredTitle, MsgErrHandoffExpired},
}

// Title returns the page title of a page that shows c to a user; an unknown code gets
// the title of an internal error.
func (c Code) Title() MessageID { return c.text().title }

// UserMessage returns what a page that shows c tells the user to do; an unknown code
// gets the message of an internal error.
func (c Code) UserMessage() MessageID { return c.text().message }

func (c Code) text() codeText {
	if t, ok := codeTexts[c]; ok {
		return t
	}
	return codeTexts[CodeInternal]
}

// Headlines of the result categories, for the page the user returns to.
const (
	MsgCategoryLiveness   MessageID = "category.liveness.title"
	MsgCategoryCompare    MessageID = "category.compare.title"
	MsgCategoryDocument   MessageID = "category.document.title"
	MsgCategoryTimeout    MessageID = "category.timeout.title"
	MsgCategoryUserExit   MessageID = "category.user_exit.title"
	MsgCategoryRetryLimit MessageID = "category.retry_limit.title"
	MsgCategoryExpired    MessageID = "category.expired.title"
	MsgCategorySystem     MessageID = "category.system.title"
)

var categoryHeadlines = map[Category]MessageID{
	CategoryLiveness:   MsgCategoryLiveness,
	CategoryCompare:    MsgCategoryCompare,
	CategoryDocument:   MsgCategoryDocument,
	CategoryTimeout:    MsgCategoryTimeout,
	CategoryUserExit:   MsgCategoryUserExit,
	CategoryRetryLimit: MsgCategoryRetryLimit,
	CategoryExpired:    MsgCategoryExpired,
	CategorySystem:     MsgCategorySystem,
}

// Headline returns the one-line headline of a failure in category c; an unknown
// category gets the headline of a system failure.
func (c Category) Headline() MessageID {
	if id, ok := categoryHeadlines[c]; ok {
		return id
	}
	return MsgCategorySystem
}

// Words of facegate's own pages: the waiting and retry pages, the cross-device handoff
// and the advice for in-app browsers.
const (
	MsgUIBackToShop       MessageID = "ui.back_to_shop.button"
	MsgUIStartAgain       MessageID = "ui.start_again.button"
	MsgUITryAgain         MessageID = "ui.try_again.button"
	MsgUICheckAgain       MessageID = "ui.check_again.button"
	MsgUICheckingAgain    MessageID = "ui.checking_again.status"
	MsgUIStillWorking     MessageID = "ui.still_working.title"
	MsgUISafeToClose      MessageID = "ui.safe_to_close"
	MsgUIRetryPage        MessageID = "ui.retry_page"
	MsgUIBackToComputer   MessageID = "ui.handoff.back_to_computer"
	MsgUIResultOnComputer MessageID = "ui.handoff.result_on_computer" // the phone's, without a result yet
	MsgUIWaitingForPhone  MessageID = "ui.handoff.waiting.title"
	MsgUIInProgressPhone  MessageID = "ui.handoff.in_progress.title"
	MsgUIScanCode         MessageID = "ui.handoff.scan"
	MsgUILinkUsedTitle    MessageID = "ui.link_used.title"
	MsgUILinkUsed         MessageID = "ui.link_used"
	MsgUILinkExpiredTitle MessageID = "ui.link_expired.title"
	MsgUILinkExpired      MessageID = "ui.link_expired"
	MsgUIOpenInPhone      MessageID = "ui.open_in_phone_browser"
	MsgUICopyLink         MessageID = "ui.copy_link.button"
	MsgUILinkCopied       MessageID = "ui.link_copied.status"
	MsgUIInApp            MessageID = "ui.in_app"
	// MsgUIInAppLINE goes with MsgUIOpenInBrowser, a link to the page with
	// openExternalBrowser=1, which makes LINE open it in the system browser.
	MsgUIInAppLINE     MessageID = "ui.in_app_line"
	MsgUIOpenInBrowser MessageID = "ui.open_in_browser.button"
	// MsgUICopyLinkManual is shown when the browser refuses to copy the link: the link is
	// then shown for the user to copy by hand.
	MsgUICopyLinkManual MessageID = "ui.copy_link_manual"
)
