package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"parley/app/model"
	"parley/app/site"
)

type sitePage struct {
	Settings *site.Settings
	Errors   map[string]string
}

func (s *Server) sitePage(c echo.Context, status int, d *sitePage) error {
	if d.Settings == nil {
		var err error
		if d.Settings, err = s.d.Site.Settings(c.Request().Context()); err != nil {
			return err
		}
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	p := s.newPage(c, s.localizer(c).T("Settings"), "config")
	p.Data = d
	return s.renderStatus(c, status, "settings", p)
}

// siteSettings is Configuration ▸ Settings: the site's name and address,
// GeoIP, the default language and data retention.
func (s *Server) siteSettings(c echo.Context) error {
	return s.sitePage(c, http.StatusOK, &sitePage{})
}

// saveSiteSettings saves the form; the "reset" button of a field clears
// that field alone, bringing its default back.
func (s *Server) saveSiteSettings(c echo.Context) error {
	in := site.Input{SiteName: c.FormValue("site_name"), BaseURL: c.FormValue("base_url"), GeoIP: c.FormValue("geoip_database"),
		Language: c.FormValue("default_language"), RetentionDays: c.FormValue("retention_days"), RetentionMode: c.FormValue("retention_mode")}
	switch c.FormValue("reset") {
	case "":
	case "site_name":
		in.SiteName = ""
	case "base_url":
		in.BaseURL = ""
	case "geoip_database":
		in.GeoIP = ""
	case "default_language":
		in.Language = ""
	case "retention_days":
		in.RetentionDays = ""
	case "retention_mode":
		in.RetentionMode = ""
	default:
		return userErr(http.StatusBadRequest, "bad_reset", "There is no such setting to reset.")
	}
	ctx := c.Request().Context()
	restart, err := s.d.Site.Save(ctx, userFrom(c), in)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		st, serr := s.d.Site.Settings(ctx)
		if serr != nil {
			return serr
		}
		// Show what was typed with the error.
		st.SiteName.Value, st.BaseURL.Value, st.GeoIP.Value = in.SiteName, in.BaseURL, in.GeoIP
		st.Language.Value, st.RetentionDays.Value, st.RetentionMode.Value = in.Language, in.RetentionDays, in.RetentionMode
		for _, f := range []*site.Field{&st.SiteName, &st.BaseURL, &st.GeoIP, &st.Language, &st.RetentionDays, &st.RetentionMode} {
			f.Overridden = f.Value != ""
		}
		return s.sitePage(c, http.StatusUnprocessableEntity, &sitePage{Settings: st, Errors: map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}})
	}
	if err != nil {
		return err
	}
	l := s.localizer(c)
	if restart {
		s.setFlash(c, "info", l.T("The settings were saved. Restart Parley to use the new public URL: until then it keeps %s.", s.d.Config.PublicURL()))
	} else {
		s.setFlash(c, "ok", l.T("The settings were saved and apply now."))
	}
	return c.Redirect(http.StatusSeeOther, "/admin/config/settings")
}

// snippetCopied records a copy of the embed snippet (the Widget tab's copy
// button posts here) for the first-run checklist.
func (s *Server) snippetCopied(c echo.Context) error {
	if err := s.d.Site.SnippetCopied(c.Request().Context(), userFrom(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// dismissChecklist hides the dashboard's first-run checklist.
func (s *Server) dismissChecklist(c echo.Context) error {
	if err := s.d.Site.DismissChecklist(c.Request().Context(), userFrom(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}
