"""The state boards' public license look-ups, as first seeded (migration
``0009_board_lookups``); from then on admins keep them in the admin (``BoardLookup``).

One entry per state and kind of board: psychology, social work (LCSW, LICSW),
counseling (LPC, LPCC, LMHC) and marriage and family therapy (LMFT). Where one state
portal serves every board, each kind points at it. A state or kind left out has no
look-up on file: the queue says so, and an admin adds it when they know the page. Only
pages known to be the boards' own public look-ups are here; none is guessed.
Physicians and nurse practitioners (MD, PMHNP) answer to other boards: none is seeded.

``seed`` takes the app registry, so the migration runs it on its historical model and
the transactional tests put the rows back after a flush (tests/conftest.py).
"""

from __future__ import annotations

# The license types each kind of board licenses (providers.models.License.LICENSE_TYPES).
KINDS = {
    "psychology": ["Psychologist"],
    "social_work": ["LCSW", "LICSW"],
    "counseling": ["LPC", "LPCC", "LMHC"],
    "mft": ["LMFT"],
}
ALL_KINDS = tuple(KINDS)

# state -> [(kinds, board name, look-up address)]
LOOKUPS: dict[str, list[tuple[tuple[str, ...], str, str]]] = {
    "AL": [
        (
            ("psychology",),
            "Alabama Board of Examiners in Psychology",
            "https://apps.psychology.alabama.gov/public/licensee.aspx",
        ),
        (
            ("social_work",),
            "Alabama State Board of Social Work Examiners",
            "https://apps.socialwork.alabama.gov/shared/search.aspx",
        ),
        (
            ("mft",),
            "Alabama Board of Examiners in Marriage and Family Therapy",
            "https://mft.alabama.gov/Search.aspx",
        ),
    ],
    "AK": [
        (
            ALL_KINDS,
            "Alaska Division of Corporations, Business and Professional Licensing",
            "https://www.commerce.alaska.gov/cbp/main/Search/Professional",
        ),
    ],
    "AZ": [
        (
            ("psychology",),
            "Arizona Board of Psychologist Examiners",
            "https://abpe.portalus.thentiacloud.net/webs/portal/register/#/",
        ),
        (
            ("social_work", "counseling", "mft"),
            "Arizona Board of Behavioral Health Examiners",
            "https://azbbhe.portalus.thentiacloud.net/webs/portal/register/#/",
        ),
    ],
    "AR": [
        (
            ("psychology",),
            "Arkansas Psychology Board",
            "https://search.statesolutions.us/?A=APB&AID=RS&GUID=00293FDC7F754619A356AF20C2E4EDF9",
        ),
        (
            ("social_work",),
            "Arkansas Social Work Licensing Board",
            "https://healthy.arkansas.gov/boards-commissions/boards/social-work-licensing-board/"
            "social-work-licensing-board-roster-search/",
        ),
        (
            ("counseling", "mft"),
            "Arkansas Board of Examiners in Counseling",
            "https://abecmft.portalus.thentiacloud.net/webs/portal/register/#/",
        ),
    ],
    "CA": [
        (
            ALL_KINDS,
            "California Department of Consumer Affairs (Board of Psychology; "
            "Board of Behavioral Sciences)",
            "https://search.dca.ca.gov/",
        ),
    ],
    "CO": [
        (
            ALL_KINDS,
            "Colorado Department of Regulatory Agencies",
            "https://apps2.colorado.gov/dora/licensing/lookup/licenselookup.aspx",
        ),
    ],
    "CT": [
        (
            ALL_KINDS,
            "Connecticut Department of Public Health",
            "https://www.elicense.ct.gov/lookup/licenselookup.aspx",
        ),
    ],
    "DE": [
        (
            ALL_KINDS,
            "Delaware Division of Professional Regulation",
            "https://delpros.delaware.gov/OH_VerifyLicense",
        ),
    ],
    "FL": [
        (
            ALL_KINDS,
            "Florida Department of Health (Board of Psychology; Board of Clinical Social Work, "
            "Marriage & Family Therapy and Mental Health Counseling)",
            "https://mqa-internet.doh.state.fl.us/MQASearchServices/HealthCareProviders",
        ),
    ],
    "GA": [
        (
            ALL_KINDS,
            "Georgia Secretary of State, Professional Licensing Boards",
            "https://goals.sos.ga.gov/GASOSOneStop/s/licensee-search",
        ),
    ],
    "HI": [
        (
            ALL_KINDS,
            "Hawaii Professional and Vocational Licensing",
            "https://mypvl.dcca.hawaii.gov/public-license-search/",
        ),
    ],
    "ID": [
        (
            ALL_KINDS,
            "Idaho Division of Occupational and Professional Licenses",
            "https://edopl.idaho.gov/OnlineServices/_/",
        ),
    ],
    "IL": [
        (
            ALL_KINDS,
            "Illinois Department of Financial and Professional Regulation",
            "https://online-dfpr.micropact.com/lookup/licenselookup.aspx",
        ),
    ],
    "IN": [
        (
            ALL_KINDS,
            "Indiana Professional Licensing Agency",
            "https://mylicense.in.gov/everification/Search.aspx",
        ),
    ],
    "IA": [
        (
            ALL_KINDS,
            "Iowa Board of Behavioral Science / Board of Psychology",
            "https://amanda-portal.idph.state.ia.us/ibpl/portal/#/license/license-query",
        ),
    ],
    "KS": [
        (
            ALL_KINDS,
            "Kansas Behavioral Sciences Regulatory Board",
            "https://licensing.ks.gov/Verification_BSRB/Search.aspx",
        ),
    ],
    "KY": [
        (
            ("psychology", "counseling", "mft"),
            "Kentucky Office of Professional Licensing",
            "https://oop.ky.gov/lic_search.aspx",
        ),
        (
            ("social_work",),
            "Kentucky Board of Social Work",
            "https://secure.kentucky.gov/formservices/BSW/LicenseVerification/search",
        ),
    ],
    "LA": [
        (
            ("psychology",),
            "Louisiana State Board of Examiners of Psychologists",
            "https://www.lsbepportal.com/licensee-search",
        ),
        (
            ("social_work",),
            "Louisiana State Board of Social Work Examiners",
            "https://www.labswe.org/index.cfm/licensee-search",
        ),
        (
            ("counseling",),
            "Louisiana Licensed Professional Counselors Board of Examiners",
            "https://www.lpcboard.org/verification-of-licensure",
        ),
        (
            ("mft",),
            "Louisiana Licensed Professional Counselors Board of Examiners (LMFT)",
            "https://www.lpcboard.org/licensee-search",
        ),
    ],
    "ME": [
        (
            ALL_KINDS,
            "Maine Office of Professional and Occupational Regulation",
            "https://www.pfr.maine.gov/almsonline/almsquery/SearchIndividual.aspx",
        ),
    ],
    "MD": [
        (
            ("psychology",),
            "Maryland Board of Examiners of Psychologists",
            "https://mdbnc.health.maryland.gov/psychverification/default.aspx",
        ),
        (
            ("social_work",),
            "Maryland Board of Social Work Examiners",
            "https://mdbnc.health.maryland.gov/bsweVerification/default.aspx",
        ),
        (
            ("counseling", "mft"),
            "Maryland Board of Professional Counselors and Therapists",
            "https://mdbnc.health.maryland.gov/pctverification/default.aspx",
        ),
    ],
    "MA": [
        (
            ALL_KINDS,
            "Massachusetts Check a Health Care License",
            "https://checkahealthlicense.mass.gov/search",
        ),
    ],
    "MI": [
        (
            ALL_KINDS,
            "Michigan Department of Licensing and Regulatory Affairs",
            "https://aca-prod.accela.com/MILARA/GeneralProperty/PropertyLookUp.aspx"
            "?isLicensee=Y&TabName=APO",
        ),
    ],
    "MN": [
        (
            ("psychology",),
            "Minnesota Board of Psychology",
            "https://mnitservices.my.site.com/license/SearchBox",
        ),
        (
            ("social_work",),
            "Minnesota Board of Social Work",
            "https://soc.hlb.state.mn.us/#/services/onlineLicenseSearch",
        ),
        (
            ("counseling",),
            "Minnesota Board of Behavioral Health and Therapy",
            "https://bht.hlb.state.mn.us/#/onlineEntitySearch",
        ),
        (
            ("mft",),
            "Minnesota Board of Marriage and Family Therapy",
            "https://mft.hlb.state.mn.us/#/services/onlineLicenseSearch",
        ),
    ],
    "MS": [
        (
            ("psychology",),
            "Mississippi Board of Psychology",
            "https://www.msbop.ms.gov/secure/licensesearch.asp",
        ),
        (
            ("social_work", "mft"),
            "Mississippi Board of Examiners for Social Workers and Marriage & Family Therapists",
            "https://www.swmft.webapps.ms.gov/publicview/publicindsearch.aspx",
        ),
        (
            ("counseling",),
            "Mississippi State Board of Examiners for Licensed Professional Counselors",
            "https://www.lpc.ms.gov/secure/licensesearch.asp",
        ),
    ],
    "MO": [
        (
            ALL_KINDS,
            "Missouri Division of Professional Registration",
            "https://mopro.mo.gov/license/s/license-search",
        ),
    ],
    "MT": [
        (
            ALL_KINDS,
            "Montana Department of Labor and Industry (Board of Psychologists; "
            "Board of Behavioral Health)",
            "https://ebizws.mt.gov/PUBLICPORTAL/searchform?mylist=licenses",
        ),
    ],
    "NE": [
        (
            ALL_KINDS,
            "Nebraska Department of Health and Human Services, Licensure",
            "https://www.nebraska.gov/LISSearch/search.cgi",
        ),
    ],
    "NV": [
        (
            ("social_work",),
            "Nevada State Board of Examiners for Social Workers",
            "https://services.socwork.nv.gov/verify/index.asp",
        ),
        (
            ("counseling", "mft"),
            "Nevada Board of Examiners for Marriage and Family Therapists and "
            "Clinical Professional Counselors",
            "https://nvboe.certemy.com/public-registry/00b35480-36a9-4898-a052-c13871cce91e",
        ),
    ],
    "NH": [
        (
            ALL_KINDS,
            "New Hampshire Office of Professional Licensure and Certification",
            "https://forms.nh.gov/licenseverification/",
        ),
    ],
    "NJ": [
        (
            ALL_KINDS,
            "New Jersey Division of Consumer Affairs",
            "https://newjersey.mylicense.com/verification/Search.aspx",
        ),
    ],
    "NM": [
        (
            ALL_KINDS,
            "New Mexico Regulation and Licensing Department",
            "https://nmrldlpi.my.site.com/bcd/s/rld-public-search",
        ),
    ],
    "NY": [
        (
            ALL_KINDS,
            "New York State Education Department, Office of the Professions",
            "https://www.op.nysed.gov/verification-search",
        ),
    ],
    "NC": [
        (
            ("psychology",),
            "North Carolina Psychology Board",
            "https://app.ncpsychologyboard.org/resources/#/license-verification",
        ),
        (
            ("social_work",),
            "North Carolina Social Work Certification and Licensure Board",
            "https://ncswb.igovsolution.net/online/Lookups/Individual_Lookup.aspx",
        ),
        (
            ("counseling",),
            "North Carolina Board of Licensed Clinical Mental Health Counselors",
            "https://portal.ncblcmhc.org/verification/search.aspx",
        ),
        (
            ("mft",),
            "North Carolina Marriage and Family Therapy Licensure Board",
            "https://www.ncbmft.org/licensure/verify-a-licensee",
        ),
    ],
    "ND": [
        (
            ("psychology",),
            "North Dakota State Board of Psychologist Examiners",
            "https://www.ndsbpe.org/verify/",
        ),
        (
            ("social_work",),
            "North Dakota Board of Social Work Examiners",
            "https://www.ndbswe.com/verify/search.asp",
        ),
    ],
    "OH": [
        (
            ALL_KINDS,
            "Ohio eLicense (State Board of Psychology; Counselor, Social Worker and "
            "Marriage and Family Therapist Board)",
            "https://elicense.ohio.gov/oh_verifylicense",
        ),
    ],
    "OK": [
        (
            ("psychology",),
            "Oklahoma State Board of Examiners of Psychologists",
            "https://pay.apps.ok.gov/OSBEP/_app/search/index.php",
        ),
        (
            ("social_work",),
            "Oklahoma State Board of Licensed Social Workers",
            "https://osblsw.portalus.thentiacloud.net/webs/portal/register/#/",
        ),
        (
            ("counseling", "mft"),
            "Oklahoma Board of Behavioral Health Licensure",
            "https://obbhl.us.thentiacloud.net/webs/obbhl/register/#/",
        ),
    ],
    "OR": [
        (
            ("psychology",),
            "Oregon Board of Psychology",
            "https://obop.us.thentiacloud.net/webs/obop/register/#/",
        ),
        (
            ("social_work",),
            "Oregon Board of Licensed Social Workers",
            "https://blsw.us.thentiacloud.net/webs/blsw/register/#",
        ),
        (
            ("counseling", "mft"),
            "Oregon Board of Licensed Professional Counselors and Therapists",
            "https://oblpct.us.thentiacloud.net/webs/oblpct/register/#",
        ),
    ],
    "PA": [
        (
            ALL_KINDS,
            "Pennsylvania Licensing System (Department of State)",
            "https://www.pals.pa.gov/#!/page/search",
        ),
    ],
    "RI": [
        (
            ALL_KINDS,
            "Rhode Island Department of Health",
            "https://healthri.mylicense.com/verification/",
        ),
    ],
    "SC": [
        (
            ("psychology",),
            "South Carolina Board of Examiners in Psychology",
            "https://verify.llronline.com/LicLookup/Psyc/Psyc.aspx?div=37",
        ),
        (
            ("social_work",),
            "South Carolina Board of Social Work Examiners",
            "https://verify.llronline.com/LicLookup/SW/SW.aspx?div=41",
        ),
        (
            ("counseling", "mft"),
            "South Carolina Board of Examiners for Licensure of Professional Counselors and "
            "Marriage and Family Therapists",
            "https://verify.llronline.com/LicLookup/Counselors/Counselors.aspx?div=18",
        ),
    ],
    "SD": [
        (
            ("psychology",),
            "South Dakota Board of Examiners of Psychologists",
            "https://www.sdboards.org/psych/verify/",
        ),
        (
            ("social_work",),
            "South Dakota Board of Social Work Examiners",
            "https://www.sdboards.org/dss/socialwork/verify/",
        ),
        (
            ("counseling", "mft"),
            "South Dakota Board of Examiners for Counselors and Marriage & Family Therapists",
            "https://www.sdboardofcounselors.org/verify/",
        ),
    ],
    "TN": [
        (
            ALL_KINDS,
            "Tennessee Department of Health, Health Professional Boards",
            "https://internet.health.tn.gov/Licensure/",
        ),
    ],
    "TX": [
        (
            ALL_KINDS,
            "Texas Behavioral Health Executive Council",
            "https://vo.licensing.hpc.texas.gov/datamart/selSearchType.do",
        ),
    ],
    "UT": [
        (
            ALL_KINDS,
            "Utah Division of Professional Licensing",
            "https://secure.utah.gov/llv/search/index.html",
        ),
    ],
    "VA": [
        (
            ALL_KINDS,
            "Virginia Department of Health Professions",
            "https://dhp.virginiainteractive.org/Lookup/Index",
        ),
    ],
    "WA": [
        (
            ALL_KINDS,
            "Washington State Department of Health",
            "https://fortress.wa.gov/doh/providercredentialsearch/",
        ),
    ],
    "WV": [
        (
            ("psychology",),
            "West Virginia Board of Examiners of Psychologists",
            "https://psychbd.wv.gov/license-info/license-search/Pages/default.aspx",
        ),
        (
            ("social_work",),
            "West Virginia Board of Social Work",
            "http://www.wvsocialworkboard.org/Licensure/LicenseVerification.aspx",
        ),
        (
            ("counseling", "mft"),
            "West Virginia Board of Examiners in Counseling",
            "https://wvbec.certemy.com/public-registry/789a3bf9-db9c-4cb7-9a88-2dbb2745460c",
        ),
    ],
    "WI": [
        (
            ALL_KINDS,
            "Wisconsin Department of Safety and Professional Services",
            "https://license.wi.gov/s/license-lookup",
        ),
    ],
    "WY": [
        (
            ("psychology",),
            "Wyoming Board of Psychology",
            "https://psychology.wyo.gov/public/lookup",
        ),
        (
            ("social_work", "counseling", "mft"),
            "Wyoming Mental Health Professions Licensing Board",
            "https://mentalhealth.wyo.gov/public/license-verification",
        ),
    ],
}


def rows() -> list[tuple[str, str, str, str]]:
    """(state, license type, board name, address) for every seeded look-up."""
    return [
        (state, license_type, name, url)
        for state, boards in LOOKUPS.items()
        for kinds, name, url in boards
        for kind in kinds
        for license_type in KINDS[kind]
    ]


def seed(apps, schema_editor=None) -> None:
    """Add the seeded look-ups; a row an admin already keeps is left as it is."""
    BoardLookup = apps.get_model("providers", "BoardLookup")
    for state, license_type, name, url in rows():
        BoardLookup.objects.get_or_create(
            state=state, license_type=license_type, defaults={"name": name, "url": url}
        )
