"""Dutch reference data: the facts every layer shares, kept apart from the simulator's tuning.

Regions, municipalities, SBI 2008 sections and the activities the register uses, legal forms, officer roles,
jurisdictions and the RIEC list of cash-intensive sectors are facts about the Netherlands (or documented stand-ins
for them), so they sit on the ground floor: the record contract, the indicators, the service and the simulator all
read them from here, and none of them has to import the simulator to know what a valid region is. Municipality codes
follow the CBS *Gemeentelijke indeling*; real extracts carry the register's own code, so a stale code here affects
only the synthetic world and the default municipality list of the importers.
"""

from __future__ import annotations

from typing import Final, NamedTuple

#: The ten RIEC regions, which follow the ten police regional units.
RIEC_REGIONS: Final[tuple[str, ...]] = (
    "Noord-Nederland",
    "Oost-Nederland",
    "Midden-Nederland",
    "Noord-Holland",
    "Amsterdam-Amstelland",
    "Den Haag",
    "Rotterdam",
    "Zeeland-West-Brabant",
    "Oost-Brabant",
    "Limburg",
)


class Municipality(NamedTuple):
    """A municipality with its CBS code, RIEC region, population (thousands) and first PC4."""

    name: str
    cbs_code: str
    region: str
    population_k: int
    pc4_start: int


_NN, _ON, _MN, _NH, _AA = RIEC_REGIONS[:5]
_DH, _RO, _ZWB, _OB, _LI = RIEC_REGIONS[5:]

MUNICIPALITIES: Final[tuple[Municipality, ...]] = (
    Municipality("Amsterdam", "GM0363", _AA, 931, 1011),
    Municipality("Rotterdam", "GM0599", _RO, 670, 3011),
    Municipality("'s-Gravenhage", "GM0518", _DH, 566, 2491),
    Municipality("Utrecht", "GM0344", _MN, 374, 3511),
    Municipality("Eindhoven", "GM0772", _OB, 246, 5611),
    Municipality("Groningen", "GM0014", _NN, 243, 9711),
    Municipality("Tilburg", "GM0855", _ZWB, 229, 5011),
    Municipality("Almere", "GM0034", _MN, 226, 1311),
    Municipality("Breda", "GM0758", _ZWB, 188, 4811),
    Municipality("Nijmegen", "GM0268", _ON, 185, 6511),
    Municipality("Apeldoorn", "GM0200", _ON, 168, 7311),
    Municipality("Arnhem", "GM0202", _ON, 167, 6811),
    Municipality("Haarlem", "GM0392", _NH, 164, 2011),
    Municipality("Haarlemmermeer", "GM0394", _NH, 162, 2131),
    Municipality("Enschede", "GM0153", _ON, 161, 7511),
    Municipality("Amersfoort", "GM0307", _MN, 161, 3811),
    Municipality("Zaanstad", "GM0479", _NH, 161, 1501),
    Municipality("'s-Hertogenbosch", "GM0796", _OB, 160, 5211),
    Municipality("Zwolle", "GM0193", _ON, 133, 8011),
    Municipality("Zoetermeer", "GM0637", _DH, 128, 2711),
    Municipality("Leiden", "GM0546", _DH, 127, 2311),
    Municipality("Leeuwarden", "GM0080", _NN, 127, 8911),
    Municipality("Maastricht", "GM0935", _LI, 122, 6211),
    Municipality("Dordrecht", "GM0505", _RO, 121, 3311),
    Municipality("Ede", "GM0228", _ON, 122, 6711),
    Municipality("Alphen aan den Rijn", "GM0484", _DH, 115, 2401),
    Municipality("Westland", "GM1783", _DH, 114, 2671),
    Municipality("Alkmaar", "GM0361", _NH, 111, 1811),
    Municipality("Emmen", "GM0114", _NN, 108, 7811),
    Municipality("Delft", "GM0503", _DH, 106, 2611),
    Municipality("Venlo", "GM0983", _LI, 103, 5911),
    Municipality("Deventer", "GM0150", _ON, 102, 7411),
    Municipality("Helmond", "GM0794", _OB, 95, 5701),
    Municipality("Purmerend", "GM0439", _NH, 94, 1441),
    Municipality("Oss", "GM0828", _OB, 94, 5341),
    Municipality("Hilversum", "GM0402", _MN, 93, 1211),
    Municipality("Amstelveen", "GM0362", _AA, 92, 1181),
    Municipality("Súdwest-Fryslân", "GM1900", _NN, 92, 8601),
    Municipality("Sittard-Geleen", "GM1883", _LI, 91, 6131),
    Municipality("Nissewaard", "GM1930", _RO, 88, 3201),
    Municipality("Heerlen", "GM0917", _LI, 87, 6411),
    Municipality("Meierijstad", "GM1948", _OB, 83, 5461),
    Municipality("Hengelo", "GM0164", _ON, 82, 7551),
    Municipality("Lelystad", "GM0995", _MN, 82, 8211),
    Municipality("Schiedam", "GM0606", _RO, 80, 3111),
    Municipality("Roosendaal", "GM1674", _ZWB, 78, 4701),
    Municipality("Leidschendam-Voorburg", "GM1916", _DH, 78, 2261),
    Municipality("Gouda", "GM0513", _DH, 75, 2801),
    Municipality("Vlaardingen", "GM0622", _RO, 75, 3131),
    Municipality("Almelo", "GM0141", _ON, 74, 7601),
    Municipality("Hoorn", "GM0405", _NH, 74, 1621),
    Municipality("Velsen", "GM0453", _NH, 69, 1971),
    Municipality("Assen", "GM0106", _NN, 69, 9401),
    Municipality("Bergen op Zoom", "GM0748", _ZWB, 68, 4611),
    Municipality("Capelle aan den IJssel", "GM0502", _RO, 68, 2901),
    Municipality("Veenendaal", "GM0345", _MN, 68, 3901),
    Municipality("Katwijk", "GM0537", _DH, 67, 2221),
    Municipality("Zeist", "GM0355", _MN, 66, 3701),
    Municipality("Nieuwegein", "GM0356", _MN, 65, 3431),
    Municipality("Barneveld", "GM0203", _ON, 61, 3771),
    Municipality("Roermond", "GM0957", _LI, 59, 6041),
    Municipality("Doetinchem", "GM0222", _ON, 59, 7001),
    Municipality("Rijswijk", "GM0603", _DH, 57, 2281),
    Municipality("Oosterhout", "GM0826", _ZWB, 57, 4901),
    Municipality("Smallingerland", "GM0090", _NN, 57, 9201),
    Municipality("Den Helder", "GM0400", _NH, 56, 1781),
    Municipality("Hoogeveen", "GM0118", _NN, 56, 7901),
    Municipality("Terneuzen", "GM0715", _ZWB, 55, 4531),
    Municipality("Kampen", "GM0166", _ON, 55, 8261),
    Municipality("Heerenveen", "GM0074", _NN, 52, 8441),
    Municipality("Weert", "GM0988", _LI, 51, 6001),
    Municipality("Middelburg", "GM0687", _ZWB, 49, 4331),
    Municipality("Harderwijk", "GM0243", _ON, 49, 3841),
    Municipality("Waalwijk", "GM0867", _ZWB, 49, 5141),
    Municipality("Barendrecht", "GM0489", _RO, 49, 2991),
    Municipality("Ridderkerk", "GM0597", _RO, 47, 2981),
    Municipality("Veldhoven", "GM0861", _OB, 46, 5501),
    Municipality("Vlissingen", "GM0718", _ZWB, 45, 4381),
    Municipality("Kerkrade", "GM0928", _LI, 45, 6461),
    Municipality("Tiel", "GM0281", _ON, 43, 4001),
    Municipality("Wageningen", "GM0289", _ON, 40, 6701),
    Municipality("Goes", "GM0664", _ZWB, 39, 4461),
    Municipality("Gorinchem", "GM0512", _RO, 38, 4201),
    Municipality("Meppel", "GM0119", _NN, 35, 7941),
    Municipality("Aalsmeer", "GM0358", _AA, 33, 1431),
    Municipality("Diemen", "GM0384", _AA, 32, 1111),
    Municipality("Uithoorn", "GM0451", _AA, 31, 1421),
    Municipality("Ouder-Amstel", "GM0437", _AA, 14, 1191),
)

#: SBI 2008 sections (A–U) by the division (first two digits) where each starts and ends.
SECTION_BY_DIVISION: Final[tuple[tuple[int, int, str], ...]] = (
    (1, 3, "A"), (5, 9, "B"), (10, 33, "C"), (35, 35, "D"), (36, 39, "E"), (41, 43, "F"), (45, 47, "G"),
    (49, 53, "H"), (55, 56, "I"), (58, 63, "J"), (64, 66, "K"), (68, 68, "L"), (69, 75, "M"), (77, 82, "N"),
    (84, 84, "O"), (85, 85, "P"), (86, 88, "Q"), (90, 93, "R"), (94, 96, "S"), (97, 98, "T"), (99, 99, "U"),
)  # fmt: skip

#: The sections' names as the CBS publishes them (Dutch, English); ``?`` is a code that maps to no section.
SECTION_NAMES: Final[dict[str, tuple[str, str]]] = {
    "A": ("Landbouw, bosbouw en visserij", "Agriculture, forestry and fishing"),
    "B": ("Delfstoffenwinning", "Mining and quarrying"),
    "C": ("Industrie", "Manufacturing"),
    "D": ("Energievoorziening", "Energy supply"),
    "E": ("Waterbedrijven en afvalbeheer", "Water supply and waste management"),
    "F": ("Bouwnijverheid", "Construction"),
    "G": ("Groot- en detailhandel", "Wholesale and retail trade"),
    "H": ("Vervoer en opslag", "Transportation and storage"),
    "I": ("Logies-, maaltijd- en drankverstrekking", "Accommodation and food service"),
    "J": ("Informatie en communicatie", "Information and communication"),
    "K": ("Financiële dienstverlening", "Financial services"),
    "L": ("Verhuur van en handel in onroerend goed", "Real estate"),
    "M": ("Specialistische zakelijke diensten", "Professional, scientific and technical services"),
    "N": ("Verhuur en overige zakelijke diensten", "Administrative and support services"),
    "O": ("Openbaar bestuur en overheidsdiensten", "Public administration"),
    "P": ("Onderwijs", "Education"),
    "Q": ("Gezondheids- en welzijnszorg", "Human health and social work"),
    "R": ("Cultuur, sport en recreatie", "Arts, sports and recreation"),
    "S": ("Overige dienstverlening", "Other service activities"),
    "T": ("Huishoudens", "Households"),
    "U": ("Extraterritoriale organisaties", "Extraterritorial organisations"),
    "?": ("Onbekende sector", "Unknown sector"),
}


class Activity(NamedTuple):
    """An SBI 2008 activity (four digits) the register uses, with its names and whether it is cash-intensive.

    ``cash_intensive`` marks the RIEC Rotterdam (2021) cash-intensive, low-entry sectors: an indicator reads it,
    the analysts' checklist reads it, and the simulator weights its crime mechanisms by it.
    """

    sbi: str
    label_nl: str
    label_en: str
    cash_intensive: bool


ACTIVITIES: Final[tuple[Activity, ...]] = (
    Activity("7022", "Organisatieadvies", "Management consultancy", False),
    Activity("6201", "Ontwikkelen van software", "Software development", False),
    Activity("6420", "Financiële holdings", "Financial holdings", False),
    Activity("4120", "Algemene burgerlijke en utiliteitsbouw", "Construction of buildings", False),
    Activity("4334", "Schilderen en glaszetten", "Painting and glazing", False),
    Activity("4941", "Goederenvervoer over de weg", "Freight transport by road", False),
    Activity("4932", "Taxivervoer", "Taxi operation", True),
    Activity("8121", "Algemene reiniging van gebouwen", "Cleaning of buildings", False),
    Activity("7820", "Uitzendbureaus", "Temporary employment agencies", True),
    Activity("5610", "Restaurants en cafetaria's", "Restaurants and snack bars", True),
    Activity("5630", "Cafés", "Bars and cafés", True),
    Activity("5510", "Hotels", "Hotels", True),
    Activity("9602", "Kappers en schoonheidsverzorging", "Hairdressing and beauty treatment", True),
    Activity("4742", "Winkels in telecommunicatieapparatuur", "Retail of telecom equipment (phone shops)", True),
    Activity("4778", "Winkels in overige artikelen (o.a. souvenirs)", "Other retail (incl. souvenir shops)", True),
    Activity("4511", "Handel in en reparatie van personenauto's", "Sale of cars", True),
    Activity("4520", "Autoreparatie", "Car repair", True),
    Activity(
        "6619",
        "Overige financiële dienstverlening (o.a. geldtransfer)",
        "Other financial services (incl. money transfer)",
        True,
    ),
    Activity("6810", "Handel in eigen onroerend goed", "Buying and selling of own real estate", True),
    Activity("6820", "Verhuur van onroerend goed", "Renting of real estate", True),
    Activity("6831", "Bemiddeling in onroerend goed", "Real estate agencies", False),
    Activity("6920", "Accountancy en administratie", "Accounting and bookkeeping", False),
    Activity(
        "8211",
        "Administratieve diensten (o.a. domicilieverlening)",
        "Administrative services (incl. domicile providers)",
        False,
    ),
    Activity("4690", "Niet-gespecialiseerde groothandel", "Non-specialised wholesale", False),
    Activity("4791", "Webwinkels", "Online retail", False),
    Activity("4711", "Supermarkten", "Supermarkets", False),
    Activity("1071", "Bakkerijen", "Bakeries", False),
    Activity("8690", "Overige gezondheidszorg", "Other human health activities", False),
    Activity("8559", "Overig onderwijs", "Other education", False),
    Activity("9001", "Beoefening van podiumkunst", "Performing arts", False),
    Activity("7311", "Reclamebureaus", "Advertising agencies", False),
    Activity("0113", "Teelt van groenten", "Growing of vegetables", False),
    Activity("9604", "Sauna's, solaria en massagesalons", "Saunas, solaria and massage parlours", True),
    Activity("9499", "Overige ideële organisaties", "Other membership organisations", False),
    Activity("7490", "Overige specialistische zakelijke dienstverlening", "Other specialist business services", False),
)

#: The RIEC Rotterdam (2021) sector criteria: cash-intensive, low-entry activities.
CASH_INTENSIVE_SBI: Final[frozenset[str]] = frozenset(a.sbi for a in ACTIVITIES if a.cash_intensive)


class Jurisdiction(NamedTuple):
    """A foreign jurisdiction an owner or financier can sit in, with its risk class and why."""

    code: str
    name: str
    risk: str  # "low" | "high"
    source: str


_EU_ANNEX_I = "EU list of non-cooperative jurisdictions for tax purposes, Annex I (2024)"
_OFC = "Offshore financial centre (IMF classification); AMLC typologies on property via offshore owners"

JURISDICTIONS: Final[tuple[Jurisdiction, ...]] = (
    Jurisdiction("BE", "België", "low", "EU member state"),
    Jurisdiction("DE", "Duitsland", "low", "EU member state"),
    Jurisdiction("GB", "Verenigd Koninkrijk", "low", "FATF member"),
    Jurisdiction("US", "Verenigde Staten", "low", "FATF member"),
    Jurisdiction("LU", "Luxemburg", "low", "EU member state"),
    Jurisdiction("FR", "Frankrijk", "low", "EU member state"),
    Jurisdiction("CY", "Cyprus", "high", _OFC),
    Jurisdiction("AE", "Verenigde Arabische Emiraten", "high", "FATF increased monitoring 2022-2024; AMLC"),
    Jurisdiction("VG", "Britse Maagdeneilanden", "high", _OFC),
    Jurisdiction("PA", "Panama", "high", _EU_ANNEX_I),
    Jurisdiction("KY", "Kaaimaneilanden", "high", _OFC),
    Jurisdiction("WS", "Samoa", "high", _EU_ANNEX_I),
)

LEGAL_FORMS: Final[tuple[str, ...]] = ("eenmanszaak", "VOF", "CV", "BV", "NV", "stichting", "vereniging", "coöperatie")
ADDRESS_TYPES: Final[tuple[str, ...]] = ("residential", "commercial", "domicile_flex")
OFFICER_ROLES: Final[tuple[str, ...]] = ("bestuurder", "aandeelhouder", "gevolmachtigde")
OWNER_TYPES: Final[tuple[str, ...]] = ("person", "company", "foreign_entity")
CASE_SOURCES: Final[tuple[str, ...]] = ("RIEC", "Bibob", "FIOD")
CASE_OUTCOMES: Final[tuple[str, ...]] = ("confirmed", "dismissed", "pending")
INSOLVENCY_TYPES: Final[tuple[str, ...]] = ("faillissement", "surseance", "schuldsanering")
FILING_SOURCES: Final[tuple[str, ...]] = ("jaarrekening", "aangifte")
