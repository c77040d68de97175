package core

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/facegate/facegate/pkg/faceid"
)

// plan is a start request resolved against the policy: exactly what Tencent will be asked.
type plan struct {
	opts        StartOptions // as allowed (start token applied)
	mode        int64        // 0: Tencent's default
	docType     string
	ruleID      string
	image       compareImage
	imageSource string // "inline", "object" or ""
	// intl is the intl flow's apply request, built and checked before anything is spent.
	intl *faceid.ApplyWebVerificationBizTokenIntlRequest
	// upload is the legacy flow's compare image, checked, to upload before the apply.
	upload []byte
}

// authorizeStart decides whether this start may spend a billed Apply: a merchant backend
// (valid bearer key) may; a browser needs a merchant-signed start token, unless the
// deployment allows anonymous starts. It returns the options the token allows and the
// token's expiry.
func (s *Service) authorizeStart(opts StartOptions, backend bool) (StartOptions, time.Time, error) {
	if opts.StartToken == "" {
		if !backend && !s.cfg.AnonymousStarts {
			return opts, time.Time{}, errorf(CodeStartTokenRequired, "This deployment starts a verification only with a start token from the merchant, or the merchant key.")
		}
		return opts, time.Time{}, nil
	}
	if len(s.cfg.StartTokenSecrets) == 0 {
		return opts, time.Time{}, errorf(CodeInvalidOption, "Start tokens are not enabled on this deployment.")
	}
	p, err := verifyStartToken(s.cfg.StartTokenSecrets, opts.StartToken, s.now())
	if err != nil {
		return opts, time.Time{}, errorf(CodeInvalidStartToken, "The start token is not valid or has expired.")
	}
	allowed, err := applyStartToken(opts, p)
	allowed.StartToken = opts.StartToken // spent once the options are resolved
	return allowed, time.Unix(p.Exp, 0), err
}

// resolve checks every option against the rules, the policy and the flow, and loads and
// checks the compare image, so that nothing is spent on a request that would fail.
func (s *Service) resolve(ctx context.Context, f flow, o StartOptions) (*plan, error) {
	if err := s.allow.Check(o.ReturnTo); err != nil {
		return nil, err
	}
	if !utf8.ValidString(o.Extra) || utf8.RuneCountInString(o.Extra) > MaxExtraRunes ||
		strings.ContainsFunc(o.Extra, unicode.IsControl) {
		return nil, errorf(CodeInvalidOption, "extra must be text of at most %d characters without control characters.", MaxExtraRunes)
	}
	if !utf8.ValidString(o.Reference) || utf8.RuneCountInString(o.Reference) > MaxReferenceRunes ||
		strings.ContainsFunc(o.Reference, unicode.IsControl) {
		return nil, errorf(CodeInvalidOption, "reference must be text of at most %d characters without control characters.", MaxReferenceRunes)
	}
	if o.CompareImage != "" && o.CompareImageKey != "" {
		return nil, errorf(CodeInvalidOption, "Give compareImage or compareImageKey, not both.")
	}
	p := &plan{opts: o}
	if err := f.choose(p); err != nil {
		return nil, err
	}
	if err := s.loadImage(ctx, p); err != nil {
		return nil, err
	}
	if err := f.prepare(p); err != nil {
		return nil, err
	}
	return p, nil
}

// choosePageOptions applies the policy to what the caller picked for Tencent's page:
// language, check mode, document type and RuleId.
func (pol *Policy) choosePageOptions(p *plan) error {
	o := p.opts
	hasImage := o.CompareImage != "" || o.CompareImageKey != ""
	if o.Language != "" && !slices.Contains(pol.Languages, o.Language) {
		return errorf(CodeInvalidOption, "lang %q is not offered here.", clip(o.Language, 16))
	}
	p.mode = o.Mode
	if p.mode != 0 && !slices.Contains(pol.Modes, p.mode) {
		return errorf(CodeInvalidOption, "mode %d is not offered here.", p.mode)
	}
	if p.mode == 0 && hasImage {
		p.mode = 2
		if !slices.Contains(pol.Modes, p.mode) {
			return errorf(CodeInvalidOption, "A compare image needs mode 2, which is not offered here.")
		}
	}
	if p.mode == 0 {
		p.mode = pol.DefaultMode
	}
	if hasImage && p.mode != 2 && p.mode != 0 {
		return errorf(CodeInvalidOption, "A compare image is used only with mode 2.")
	}
	documentMode := p.mode == 1 || p.mode == 4
	switch {
	case o.DocumentType != "" && !documentMode:
		return errorf(CodeInvalidOption, "documentType is used only with modes 1 and 4.")
	case o.DocumentType != "" && !slices.Contains(pol.DocumentTypes, o.DocumentType):
		return errorf(CodeInvalidOption, "documentType %q is not offered here.", clip(o.DocumentType, 40))
	case o.DocumentType != "":
		p.docType = o.DocumentType
	case documentMode && len(pol.DocumentTypes) > 0:
		p.docType = pol.DocumentTypes[0]
	case documentMode:
		return errorf(CodeInvalidOption, "mode %d needs a documentType, and none is offered here.", p.mode)
	}
	p.ruleID = pol.DefaultRuleID
	if o.RuleID != "" {
		if !slices.Contains(pol.RuleIDs, o.RuleID) {
			return errorf(CodeInvalidOption, "ruleId %q is not offered here.", clip(o.RuleID, 40))
		}
		p.ruleID = o.RuleID
	}
	return nil
}
