package sandbox

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Action names, as Tencent spells them.
const (
	actionApplyIntl   = "ApplyWebVerificationBizTokenIntl"
	actionResultIntl  = "GetWebVerificationResultIntl"
	actionCreateURL   = "CreateUploadUrl"
	actionApplyLegacy = "ApplyWebVerificationToken"
	actionResult      = "GetWebVerificationResult"
)

var actions = []string{actionApplyIntl, actionResultIntl, actionCreateURL, actionApplyLegacy, actionResult}

// regions are those where Tencent offers the web-verification actions.
var regions = []string{"ap-singapore", "ap-jakarta", "ap-bangkok", "ap-hongkong", "sa-saopaulo"}

// APIHandler serves the faceid API at /: a TC3-signed JSON POST (or TC3-signed GET), or a
// signature v1 form POST or GET, answered in Tencent's envelopes with HTTP 200. It also serves the unsigned test-control API under /_sandbox/
// (the README's "The Tencent sandbox" lists its endpoints); that part exists only in the
// sandbox.
func (s *Sandbox) APIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.serveAPI)
	s.controlRoutes(mux)
	return mux
}

// envelope wraps every answer as {"Response": ...}.
type envelope struct {
	Response any `json:"Response"`
}

type errorResponse struct {
	Error struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	} `json:"Error"`
	RequestId string `json:"RequestId"`
}

func errorEnvelope(aerr *apiError, requestID string) envelope {
	var r errorResponse
	r.Error.Code, r.Error.Message, r.RequestId = aerr.Code, aerr.Message, requestID
	return envelope{Response: r}
}

func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeControlError(w, http.StatusNotFound, "not_found", "The faceid API is POST /; the control API lives under /_sandbox/.")
		return
	}
	ctx, started := r.Context(), time.Now()
	// The body is read before any injected latency: net/http notices a client that hangs
	// up (and cancels ctx) only once the body has been consumed.
	body, aerr := readBody(r)
	faults := s.faults.Load()
	if faults.Latency > 0 {
		t := time.NewTimer(faults.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	if faults.DropRate > 0 && s.randFloat() < faults.DropRate {
		s.log.InfoContext(ctx, "sandbox api: dropped connection (injected fault)")
		dropConnection(w)
		return
	}
	requestID := s.newUUID(false)
	var action string
	var resp any
	if aerr == nil {
		action, resp, aerr = s.handle(r, body, faults, requestID)
		if faults.DropAfterRate > 0 && s.randFloat() < faults.DropAfterRate {
			// The action has run (an Apply has stored its token); only the answer is lost.
			s.log.InfoContext(ctx, "sandbox api: handled, then dropped the connection (injected fault)",
				slog.String("action", action))
			dropConnection(w)
			return
		}
	}
	var out envelope
	code := "OK"
	if aerr != nil {
		out, code = errorEnvelope(aerr, requestID), aerr.Code
	} else {
		out = envelope{Response: resp}
	}
	encoded, err := json.Marshal(out)
	if err != nil {
		// Every response type marshals; this guards the envelope promise all the same.
		encoded, _ = json.Marshal(errorEnvelope(errorf(codeInternalError, "Internal error."), requestID))
		code = codeInternalError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(encoded)
	s.log.InfoContext(ctx, "sandbox api", slog.String("action", action), slog.String("code", code),
		slog.Duration("duration", time.Since(started)))
}

// readBody reads a POST body of at most 10 MB; a GET has none (its parameters are in the
// query).
func readBody(r *http.Request) ([]byte, *apiError) {
	switch r.Method {
	case http.MethodGet:
		return nil, nil
	case http.MethodPost:
	default:
		return nil, errorf(codeUnsupportedOperation, "The faceid API accepts POST and GET requests.")
	}
	if r.ContentLength > maxRequestBody {
		return nil, errorf(codeRequestSizeLimit, "The request body is larger than 10 MB.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, errorf(codeInvalidParameter, "The request body could not be read.")
	}
	if int64(len(body)) > maxRequestBody {
		return nil, errorf(codeRequestSizeLimit, "The request body is larger than 10 MB.")
	}
	return body, nil
}

// dropConnection closes the connection without an answer, as a lost network would.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; aborting the handler resets the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// handle runs the checks of a real API front door in Tencent's order, then the action.
// The returned action name is "" unless it is a known one (it goes into the log).
func (s *Sandbox) handle(r *http.Request, body []byte, faults *Faults, requestID string) (string, any, *apiError) {
	if faults.InternalErrorRate > 0 && s.randFloat() < faults.InternalErrorRate {
		return "", nil, errorf(codeInternalError, "Internal error (injected by the sandbox).")
	}
	if faults.ThrottleRate > 0 && s.randFloat() < faults.ThrottleRate {
		return "", nil, errorf(faults.ThrottleCode, "The request rate limit is exceeded (injected by the sandbox).")
	}
	// Signatures are checked against the base clock, without the control API's offset:
	// the offset stands for time passing inside the service (token windows, links, the
	// limiter), and callers keep signing with their own clocks.
	call, aerr := s.authenticate(r, body, s.opts.Now())
	if aerr != nil {
		return "", nil, aerr
	}
	now := s.now()
	action := call.action
	if !slices.Contains(actions, action) {
		return "", nil, errorf(codeInvalidAction, "The action is not supported by faceid version %s.", apiVersion)
	}
	if call.version != apiVersion {
		return action, nil, errorf(codeNoSuchVersion, "The API version does not exist; faceid uses %s.", apiVersion)
	}
	if !slices.Contains(regions, call.region) {
		return action, nil, errorf(codeUnsupportedRegion, "The web-verification actions are offered in %v.", regions)
	}
	if lang := call.language; lang != "" && lang != "zh-CN" && lang != "en-US" {
		return action, nil, errorf(codeInvalidParameterValue, "The language (X-TC-Language, or Language in signature v1) must be zh-CN or en-US.")
	}
	if call.paramsErr != nil {
		return action, nil, call.paramsErr
	}
	if !s.limiter.allow(action, now) {
		return action, nil, errorf(codeRequestLimitExceeded, "The request rate limit of this action is exceeded.")
	}
	resp, aerr := s.dispatch(action, call.params, requestID, now)
	return action, resp, aerr
}

// dispatch parses and validates the parameters of an authenticated request and runs the
// action. It never panics on any input and always answers either a response or an apiError.
func (s *Sandbox) dispatch(action string, in input, requestID string, now time.Time) (any, *apiError) {
	switch action {
	case actionApplyIntl:
		req, aerr := parseApplyIntl(in, s.rules, s.opts.AllowMissingCompareImage)
		if aerr != nil {
			return nil, aerr
		}
		return s.applyIntl(req, requestID, now)
	case actionResultIntl:
		tok, aerr := parseBizTokenRequest(in)
		if aerr != nil {
			return nil, aerr
		}
		return s.resultIntl(tok, requestID, now)
	case actionCreateURL:
		target, aerr := parseCreateUpload(in)
		if aerr != nil {
			return nil, aerr
		}
		return s.createUpload(target, requestID, now)
	case actionApplyLegacy:
		req, aerr := parseApplyLegacy(in)
		if aerr != nil {
			return nil, aerr
		}
		return s.applyLegacy(req, requestID, now)
	case actionResult:
		tok, aerr := parseBizTokenRequest(in)
		if aerr != nil {
			return nil, aerr
		}
		return s.resultLegacy(tok, requestID, now)
	}
	return nil, errorf(codeInvalidAction, "The action is not supported.")
}

func (s *Sandbox) verificationURL(token string) string {
	return s.pageURL + reflectDir + "?token=" + token
}

// applyResponse is the Response of both apply actions; the intl one fills VerificationURL
// and its deprecated duplicate VerificationUrl, the legacy one only VerificationUrl.
type applyResponse struct {
	BizToken        string `json:"BizToken"`
	VerificationURL string `json:"VerificationURL,omitempty"`
	VerificationUrl string `json:"VerificationUrl"`
	RequestId       string `json:"RequestId"`
}

func (s *Sandbox) applyIntl(req applyIntlRequest, requestID string, now time.Time) (any, *apiError) {
	ss := &session{
		token: s.newUUID(true), issued: now, redirect: req.redirectURL, extra: req.extra, cfg: req.cfg,
	}
	s.mu.Lock()
	aerr := s.addSessionLocked(ss, now)
	s.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	u := s.verificationURL(ss.token)
	return applyResponse{BizToken: ss.token, VerificationURL: u, VerificationUrl: u, RequestId: requestID}, nil
}

func (s *Sandbox) resultIntl(token, requestID string, now time.Time) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.lookupLocked(token)
	if !ok || ss.legacy {
		return nil, errorf(codeBizTokenIllegal, "The BizToken is not valid.")
	}
	ss.reads++
	st := s.state(ss, now)
	if st == stateExpired {
		return nil, errorf(codeBizTokenExpired, "The BizToken has expired.")
	}
	return intlResult(ss, st, requestID), nil
}

func (s *Sandbox) applyLegacy(req applyLegacyRequest, requestID string, now time.Time) (any, *apiError) {
	if aerr := s.compareImage(req.imageURL, req.imageMD5, now); aerr != nil {
		return nil, aerr
	}
	cfg := defaultConfig()
	cfg.hasCompareImage = true
	ss := &session{
		token: s.newUUID(true), legacy: true, issued: now, redirect: req.redirectURL, cfg: cfg,
		mediaID: s.newUUID(false),
	}
	s.mu.Lock()
	aerr := s.addSessionLocked(ss, now)
	s.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	return applyResponse{BizToken: ss.token, VerificationUrl: s.verificationURL(ss.token), RequestId: requestID}, nil
}

// resultLegacyResponse is the Response of GetWebVerificationResult: media as links, no Extra.
type resultLegacyResponse struct {
	ErrorCode              *int64   `json:"ErrorCode"`
	ErrorMsg               *string  `json:"ErrorMsg"`
	VideoBestFrameUrl      *string  `json:"VideoBestFrameUrl"`
	VideoBestFrameMd5      *string  `json:"VideoBestFrameMd5"`
	VideoUrl               *string  `json:"VideoUrl"`
	VideoMd5               *string  `json:"VideoMd5"`
	VerificationDetailList []detail `json:"VerificationDetailList"`
	RequestId              string   `json:"RequestId"`
}

func (s *Sandbox) resultLegacy(token, requestID string, now time.Time) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.lookupLocked(token)
	if !ok || !ss.legacy {
		return nil, errorf(codeBizTokenIllegal, "The BizToken is not valid.")
	}
	ss.reads++
	st := s.state(ss, now)
	if st == stateExpired {
		return nil, errorf(codeBizTokenExpired, "The BizToken has expired.")
	}
	r := resultLegacyResponse{RequestId: requestID}
	if st != stateFinished {
		return r, nil
	}
	v := ss.verdict
	r.ErrorCode, r.ErrorMsg, r.VerificationDetailList = ptr(v.errorCode), ptr(v.errorMsg), v.details
	if v.media {
		// Links are minted per read, each valid for ten minutes, like presigned URLs.
		r.VideoBestFrameUrl = ptr(s.mediaURL(ss.mediaID, "bestframe.jpg", now))
		r.VideoBestFrameMd5 = ptr(md5Hex(sampleJPEG()))
		r.VideoUrl = ptr(s.mediaURL(ss.mediaID, "video.mp4", now))
		r.VideoMd5 = ptr(md5Hex(sampleVideo()))
	}
	return r, nil
}
