package datasets

import "strings"

// isoCurrencies are the ISO 4217 codes a new record's amounts may be in
// (isISOCurrency; rates files and the stores' records keep the looser
// three capitals, isCurrencyCode): the
// current list (funds and precious metals included; XTS, the testing
// code, and XXX, "no currency", left out), and the codes withdrawn since
// 2000, which a ledger's older records may carry (HRK until 2023, LTL
// until 2015, VEF, ZWL, ...). Three capitals alone were accepted before:
// the German trial's export wrote XEU (the pre-euro ECU) on some
// invoices, which imported and then failed every conversion with "no
// rate to EUR for XEU".
var isoCurrencies = func() map[string]bool {
	const current = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
		"CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP " +
		"GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR " +
		"LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP " +
		"PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP " +
		"TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD " +
		"XPF XPT XSU XUA YER ZAR ZMW ZWG ZWL"
	// Withdrawn since 1999 (the euro's legacy currencies in 2002), for
	// a history that reaches back; CNH, the offshore yuan, is no ISO code
	// but treasury systems write it.
	const withdrawn = "ADP AFA ATS AZM BEF BYR CSD CYP DEM EEK ESP FIM FRF GHC GRD HRK IEP ITL LTL LUF LVL MGF MRO MTL MZM NLG PTE " +
		"ROL SDD SIT SKK SRG STD TMM TPE TRL VEB VEF YUM ZMK ZWD ZWN ZWR CNH"
	m := map[string]bool{}
	for _, c := range strings.Fields(current + " " + withdrawn) {
		m[c] = true
	}
	return m
}()
