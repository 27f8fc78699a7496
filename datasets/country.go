package datasets

import "strings"

// Countries are stored as ISO 3166-1 alpha-2 codes, upper-cased: the
// per-country public holidays of the dunning scenarios, the --by country
// KPIs and the cold-start priors all key on them. ERP exports often write
// the name instead ("United States", "Deutschland") or the alpha-3 code
// (USA): stored upper-cased as written, "UNITED STATES" was a country of
// its own, with no holidays and a group apart from "US". CountryCode reads
// the names and codes an export commonly writes; the importer warns of
// every value it so reads, and of a value it cannot read as a code.

// countryNames maps an upper-cased country name or alpha-3 code to its
// alpha-2 code. The names are the English ones and the country's own
// where exports commonly write it; UK, not an ISO code but a common one,
// is GB.
var countryNames = func() map[string]string {
	m := map[string]string{}
	for _, row := range []string{
		"US USA|UNITED STATES|UNITED STATES OF AMERICA|U.S.|U.S.A.",
		"GB GBR|UK|UNITED KINGDOM|GREAT BRITAIN|ENGLAND|SCOTLAND|WALES|NORTHERN IRELAND",
		"CA CAN|CANADA", "MX MEX|MEXICO|MÉXICO", "BR BRA|BRAZIL|BRASIL", "AR ARG|ARGENTINA",
		"CL CHL|CHILE", "CO COL|COLOMBIA", "PE PER|PERU|PERÚ",
		"DE DEU|GERMANY|DEUTSCHLAND", "AT AUT|AUSTRIA|ÖSTERREICH", "CH CHE|SWITZERLAND|SCHWEIZ|SUISSE|SVIZZERA",
		"FR FRA|FRANCE", "BE BEL|BELGIUM|BELGIQUE|BELGIË", "NL NLD|NETHERLANDS|THE NETHERLANDS|NEDERLAND|HOLLAND",
		"LU LUX|LUXEMBOURG", "IE IRL|IRELAND", "IT ITA|ITALY|ITALIA", "ES ESP|SPAIN|ESPAÑA", "PT PRT|PORTUGAL",
		"DK DNK|DENMARK|DANMARK", "SE SWE|SWEDEN|SVERIGE", "NO NOR|NORWAY|NORGE", "FI FIN|FINLAND|SUOMI",
		"IS ISL|ICELAND", "PL POL|POLAND|POLSKA", "CZ CZE|CZECHIA|CZECH REPUBLIC|ČESKO", "SK SVK|SLOVAKIA",
		"HU HUN|HUNGARY|MAGYARORSZÁG", "RO ROU|ROMANIA|ROMÂNIA", "BG BGR|BULGARIA", "GR GRC|GREECE",
		"HR HRV|CROATIA", "SI SVN|SLOVENIA", "EE EST|ESTONIA", "LV LVA|LATVIA", "LT LTU|LITHUANIA",
		"TR TUR|TURKEY|TÜRKIYE", "UA UKR|UKRAINE", "RU RUS|RUSSIA|RUSSIAN FEDERATION", "IL ISR|ISRAEL",
		"AE ARE|UNITED ARAB EMIRATES|UAE", "SA SAU|SAUDI ARABIA", "QA QAT|QATAR", "EG EGY|EGYPT",
		"MA MAR|MOROCCO", "ZA ZAF|SOUTH AFRICA", "NG NGA|NIGERIA", "KE KEN|KENYA",
		"IN IND|INDIA", "CN CHN|CHINA", "HK HKG|HONG KONG", "TW TWN|TAIWAN", "JP JPN|JAPAN",
		"KR KOR|SOUTH KOREA|KOREA", "SG SGP|SINGAPORE", "MY MYS|MALAYSIA", "TH THA|THAILAND",
		"VN VNM|VIETNAM|VIET NAM", "ID IDN|INDONESIA", "PH PHL|PHILIPPINES",
		"AU AUS|AUSTRALIA", "NZ NZL|NEW ZEALAND",
	} {
		code, names, _ := strings.Cut(row, " ")
		for _, n := range strings.Split(names, "|") {
			m[n] = code
		}
	}
	return m
}()

// CountryCode reads text, a country as an export wrote it, as an ISO
// 3166-1 alpha-2 code. It returns the code and ok; read says the text was
// a name or an alpha-3 code read as the code (the caller says so), and
// ok is false, with the text upper-cased, when it is neither two letters
// nor a name or code the table knows.
func CountryCode(text string) (code string, read, ok bool) {
	up := strings.ToUpper(strings.TrimSpace(text))
	if c, found := countryNames[up]; found {
		return c, true, true
	}
	if len(up) == 2 && up[0] >= 'A' && up[0] <= 'Z' && up[1] >= 'A' && up[1] <= 'Z' {
		return up, false, true
	}
	return up, false, false
}
