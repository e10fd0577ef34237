// SPDX-License-Identifier: MIT
/*
 * The one C++ file of leakwatch: a shim over Google's libphonenumber (Debian:
 * libphonenumber-dev), the number plans of every country as the phones themselves use them
 * (Android's dialer and contacts check numbers with it).  Built only with
 * -Dphonenumber=enabled/auto when the library is found; phone.c is the C side and falls back
 * to length checks without it.
 *
 * Why the library rather than our own tables: number plans change every few months (new
 * mobile ranges, longer numbers) and the library's metadata is kept by people who follow the
 * regulators of ~250 regions; a hand-written table would be stale on the day it is written.
 * Why optional: it pulls protobuf, ICU and abseil (some 40 MB installed), too much for a small
 * router's flash; there the daemon keeps the length checks (see README "phone numbers").
 *
 * Pure: the metadata is compiled into the library (no file is read), its logger is replaced
 * by NullLogger so it never prints, and no exception leaves this file.  The util is the
 * library's own process-wide singleton, read-only after the first call (thread-safe).
 */
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstring>
#include <string>

#include "detect/phone.h"

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static PhoneNumberUtil *util()
{
	// a function-local static is initialized once, thread-safely (C++11)
	static PhoneNumberUtil *u = [] {
		PhoneNumberUtil *p = PhoneNumberUtil::GetInstance();

		p->SetLogger(new NullLogger());
		return p;
	}();
	return u;
}

static std::string digits_of(const std::string &s)
{
	std::string d;

	for (char c : s)
		if (c >= '0' && c <= '9')
			d += c;
	return d;
}

extern "C" int lw_phonenumber_check(const char *region, const char *number, size_t n, bool national,
				    char *out, size_t cap)
{
	try {
		PhoneNumberUtil *u = util();
		std::string reg = region && *region ? region : "ZZ";
		std::string in(number, n);
		PhoneNumber pn;
		std::string e164;
		enum lw_phone_verdict v;

		if (u->Parse(in, reg, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
			return LW_PHONE_INVALID;
		if (national) {
			std::string nat;

			/*
			 * Written exactly as the plan writes the number inside the country (with
			 * its trunk prefix where it has one, 0171... in Germany, none for mobiles
			 * in China): the library also accepts the bare national significant
			 * number, which for a bare digit string is too lenient.
			 */
			if (pn.country_code() != u->GetCountryCodeForRegion(reg))
				return LW_PHONE_INVALID;
			u->Format(pn, PhoneNumberUtil::NATIONAL, &nat);
			if (digits_of(nat) != digits_of(in))
				return LW_PHONE_INVALID;
		}
		if (!u->IsPossibleNumber(pn))
			return LW_PHONE_INVALID;
		if (national ? !u->IsValidNumberForRegion(pn, reg) : !u->IsValidNumber(pn)) {
			v = LW_PHONE_POSSIBLE;
		} else {
			switch (u->GetNumberType(pn)) {
			case PhoneNumberUtil::MOBILE:
			case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
				v = LW_PHONE_MOBILE;
				break;
			default:
				v = LW_PHONE_VALID;
				break;
			}
		}
		u->Format(pn, PhoneNumberUtil::E164, &e164);
		if (e164.size() + 1 > cap)
			return LW_PHONE_INVALID;
		memcpy(out, e164.c_str(), e164.size() + 1);
		return v;
	} catch (...) {
		return LW_PHONE_INVALID;
	}
}

extern "C" bool lw_phonenumber_region_known(const char *region)
{
	try {
		return util()->GetCountryCodeForRegion(region) != 0;
	} catch (...) {
		return false;
	}
}

extern "C" bool lw_phonenumber_cc_known(unsigned cc)
{
	try {
		std::string r;

		util()->GetRegionCodeForCountryCode((int)cc, &r);
		return r != "ZZ";
	} catch (...) {
		return false;
	}
}
