package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxPathName bounds an escaped name, well under the 255 bytes file systems
// allow for one path element.
const maxPathName = 120

// PathName escapes a name (a customer or invoice id, a segment, a country
// code) so that it is safe as one path element, one URL path segment and an
// HTML id: ASCII letters, digits, '-' and '_' stay; every other byte,
// '.' and '~' included, becomes '~' and two lower-case hex digits, so "..",
// "a/b" or "<script>" cannot escape or inject, and two names never escape
// to the same string. The empty name is "~". A name whose escape is longer
// than maxPathName keeps its first part and ends in "~~" and a hash of the
// whole name. On a case-insensitive file system names that differ only in
// case share a file: ids are taken to differ in more than case.
func PathName(s string) string {
	if s == "" {
		return "~"
	}
	const hexdig = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('~')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	out := b.String()
	if len(out) > maxPathName {
		sum := sha256.Sum256([]byte(s))
		cut := maxPathName - 18
		// Do not cut an escape in half.
		if i := strings.LastIndexByte(out[:cut], '~'); i >= cut-2 {
			cut = i
		}
		out = out[:cut] + "~~" + hex.EncodeToString(sum[:8])
	}
	return out
}

// Page paths, relative to the site's root.
const (
	pathIndex       = "index.html"
	pathCustomers   = "customers.html"
	pathDisputes    = "disputes.html"
	pathCollections = "collections.html"
	pathModel       = "model.html"
	pathNotFound    = "404.html"
	pathAssets      = "assets/"
)

// Slice kinds and the directory of their pages.
const (
	kindPortfolio = ""
	kindSegment   = "segment"
	kindCountry   = "country"
	kindCurrency  = "currency"
	kindCustomer  = "customer"
)

var sliceDirs = map[string]string{kindSegment: "segments", kindCountry: "countries", kindCurrency: "currencies"}

// slicePath is the page of a slice; the portfolio's is index.html.
func slicePath(s Slice) string {
	switch s.Kind {
	case kindPortfolio:
		return pathIndex
	case kindCustomer:
		return customerPath(s.Key)
	}
	return sliceDirs[s.Kind] + "/" + PathName(s.Key) + ".html"
}

// rowsPath is the page listing the rows behind a slice's figures.
func rowsPath(s Slice) string {
	if s.Kind == kindPortfolio {
		return "open/index.html"
	}
	return "open/" + sliceDirs[s.Kind] + "/" + PathName(s.Key) + ".html"
}

func customerPath(id string) string { return "customers/" + PathName(id) + ".html" }

// invoiceAnchor is the HTML id of an invoice's row on its customer's page.
func invoiceAnchor(id string) string { return "inv-" + PathName(id) }

// invoicePath is where an invoice is shown: its row on its customer's page.
func invoicePath(customerID, invoiceID string) string {
	return customerPath(customerID) + "#" + invoiceAnchor(invoiceID)
}

// rootOf is the relative prefix from page p back to the site's root.
func rootOf(p string) string { return strings.Repeat("../", strings.Count(p, "/")) }
