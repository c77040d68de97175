package core

import (
	"context"

	"github.com/facegate/facegate/pkg/faceid"
)

// intlFlow is the current flow: ApplyWebVerificationBizTokenIntl with the page options
// and an optional compare image, then GetWebVerificationResultIntl.
type intlFlow struct{ s *Service }

func (f intlFlow) choose(p *plan) error { return f.s.cfg.Policy.choosePageOptions(p) }

func (f intlFlow) prepare(p *plan) error {
	req := &faceid.ApplyWebVerificationBizTokenIntlRequest{
		RedirectURL: f.s.cfg.CallbackURL,
		Extra:       p.opts.Extra,
		RuleId:      p.ruleID,
		Config:      f.verificationConfig(p),
	}
	var err error
	switch {
	case p.image.b64 != "":
		err = req.SetCompareImageBase64(p.image.b64)
	case p.image.bytes != nil:
		err = req.SetCompareImage(p.image.bytes)
	}
	if err == nil {
		err = req.Validate()
	}
	if err != nil {
		return validationError(err)
	}
	p.intl = req
	return nil
}

// verificationConfig is the deployment's base Config with the caller's choices applied.
func (f intlFlow) verificationConfig(p *plan) *faceid.WebVerificationConfigIntl {
	var c faceid.WebVerificationConfigIntl
	if f.s.cfg.Verification != nil {
		c = *f.s.cfg.Verification
	}
	if p.opts.Language != "" {
		c.Language = new(p.opts.Language)
	}
	if p.mode != 0 {
		c.CheckMode = new(p.mode)
	}
	if p.docType != "" {
		c.IDCardType = new(p.docType)
	}
	if c == (faceid.WebVerificationConfigIntl{}) {
		return nil
	}
	return &c
}

func (f intlFlow) apply(ctx context.Context, p *plan) (token, verifyURL string, err error) {
	resp, err := f.s.faceID.ApplyWebVerificationBizTokenIntl(ctx, p.intl)
	if err != nil {
		return "", "", applyError(err)
	}
	verifyURL = resp.VerificationURL
	if verifyURL == "" {
		verifyURL = resp.VerificationUrl
	}
	return checkApplied(resp.BizToken, verifyURL)
}

func (f intlFlow) read(ctx context.Context, token string) (reading, error) {
	resp, err := f.s.faceID.GetWebVerificationResultIntl(ctx, token)
	if err != nil {
		return reading{}, err
	}
	return reading{
		outcome: InterpretResult(resp),
		details: resp.VerificationDetailList,
		ocr:     resp.OCRResult,
		media:   mediaOf(resp),
	}, nil
}
