"""Reference tables the synthetic world is built on: regions, municipalities, sectors, jurisdictions.

These are facts about the Netherlands (or documented stand-ins for them), kept as plain data so that
``docs/synthetic-world.md`` can cite them and tests can check them. Municipality codes follow the CBS
*Gemeentelijke indeling*; real extracts carry the register's own code, so a stale code here affects only
the synthetic world.
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


class Sector(NamedTuple):
    """An SBI 2008 activity with the parameters the generator needs.

    ``cash`` is the share of turnover normally received in cash; ``risk`` marks the RIEC Rotterdam (2021)
    cash-intensive, low-entry sectors; ``migrant_tilt`` and ``female_tilt`` set how strongly owners'
    background and gender cluster in the sector when ``--segregation`` is above zero (they never touch truth).
    """

    sbi: str
    label_nl: str
    label_en: str
    share: float  # share of the register
    bv_share: float  # share of legal entities (BV/NV) among companies in the sector
    cash: float
    risk: bool
    revenue_per_fte_k: float  # median turnover per full-time employee, thousands of euro
    assets_ratio: float  # total assets / turnover
    migrant_tilt: float
    female_tilt: float


SECTORS: Final[tuple[Sector, ...]] = (
    Sector("7022", "Organisatieadvies", "Management consultancy", 0.110, 0.35, 0.0, False, 110, 0.5, -0.3, 0.1),
    Sector(
        "6201",
        "Ontwikkelen van software",
        "Software development",
        0.045,
        0.45,
        0.0,
        False,
        130,
        0.5,
        0.0,
        -0.8,
    ),
    Sector("6420", "Financiële holdings", "Financial holdings", 0.070, 0.97, 0.0, False, 60, 6.0, -0.4, -0.5),
    Sector(
        "4120",
        "Algemene burgerlijke en utiliteitsbouw",
        "Construction of buildings",
        0.055,
        0.30,
        0.05,
        False,
        160,
        0.6,
        0.3,
        -1.5,
    ),
    Sector(
        "4334",
        "Schilderen en glaszetten",
        "Painting and glazing",
        0.035,
        0.10,
        0.10,
        False,
        90,
        0.3,
        0.2,
        -1.3,
    ),
    Sector(
        "4941",
        "Goederenvervoer over de weg",
        "Freight transport by road",
        0.020,
        0.45,
        0.02,
        False,
        140,
        0.8,
        0.5,
        -1.2,
    ),
    Sector("4932", "Taxivervoer", "Taxi operation", 0.020, 0.10, 0.45, True, 70, 0.6, 1.4, -1.6),
    Sector(
        "8121",
        "Algemene reiniging van gebouwen",
        "Cleaning of buildings",
        0.015,
        0.25,
        0.05,
        False,
        55,
        0.3,
        1.0,
        0.3,
    ),
    Sector("7820", "Uitzendbureaus", "Temporary employment agencies", 0.008, 0.80, 0.0, True, 70, 0.3, 0.6, 0.0),
    Sector(
        "5610",
        "Restaurants en cafetaria's",
        "Restaurants and snack bars",
        0.035,
        0.35,
        0.55,
        True,
        75,
        0.6,
        1.0,
        -0.2,
    ),
    Sector("5630", "Cafés", "Bars and cafés", 0.010, 0.35, 0.70, True, 80, 0.7, 0.3, -0.4),
    Sector("5510", "Hotels", "Hotels", 0.004, 0.60, 0.25, True, 110, 2.5, 0.2, 0.0),
    Sector(
        "9602",
        "Kappers en schoonheidsverzorging",
        "Hairdressing and beauty treatment",
        0.040,
        0.05,
        0.60,
        True,
        45,
        0.3,
        1.3,
        1.6,
    ),
    Sector(
        "4742",
        "Winkels in telecommunicatieapparatuur",
        "Retail of telecom equipment (phone shops)",
        0.004,
        0.30,
        0.60,
        True,
        160,
        0.4,
        1.8,
        -1.0,
    ),
    Sector(
        "4778",
        "Winkels in overige artikelen (o.a. souvenirs)",
        "Other retail (incl. souvenir shops)",
        0.012,
        0.25,
        0.60,
        True,
        100,
        0.5,
        1.1,
        0.2,
    ),
    Sector(
        "4511",
        "Handel in en reparatie van personenauto's",
        "Sale of cars",
        0.015,
        0.40,
        0.35,
        True,
        350,
        0.5,
        0.9,
        -1.6,
    ),
    Sector("4520", "Autoreparatie", "Car repair", 0.012, 0.20, 0.35, True, 120, 0.5, 0.8, -1.7),
    Sector(
        "6619",
        "Overige financiële dienstverlening (o.a. geldtransfer)",
        "Other financial services (incl. money transfer)",
        0.003,
        0.70,
        0.80,
        True,
        120,
        1.0,
        1.2,
        -0.3,
    ),
    Sector(
        "6810",
        "Handel in eigen onroerend goed",
        "Buying and selling of own real estate",
        0.012,
        0.85,
        0.02,
        True,
        300,
        8.0,
        -0.1,
        -0.4,
    ),
    Sector(
        "6820",
        "Verhuur van onroerend goed",
        "Renting of real estate",
        0.020,
        0.70,
        0.05,
        True,
        200,
        9.0,
        0.0,
        -0.2,
    ),
    Sector(
        "6831",
        "Bemiddeling in onroerend goed",
        "Real estate agencies",
        0.006,
        0.60,
        0.02,
        False,
        150,
        0.6,
        -0.3,
        0.0,
    ),
    Sector(
        "6920",
        "Accountancy en administratie",
        "Accounting and bookkeeping",
        0.015,
        0.55,
        0.0,
        False,
        100,
        0.4,
        0.1,
        0.5,
    ),
    Sector(
        "8211",
        "Administratieve diensten (o.a. domicilieverlening)",
        "Administrative services (incl. domicile providers)",
        0.006,
        0.70,
        0.0,
        False,
        90,
        0.6,
        0.0,
        0.2,
    ),
    Sector(
        "4690",
        "Niet-gespecialiseerde groothandel",
        "Non-specialised wholesale",
        0.025,
        0.70,
        0.05,
        False,
        450,
        0.7,
        0.4,
        -0.8,
    ),
    Sector("4791", "Webwinkels", "Online retail", 0.030, 0.25, 0.0, False, 150, 0.4, 0.1, 0.4),
    Sector("4711", "Supermarkten", "Supermarkets", 0.006, 0.55, 0.35, False, 250, 0.4, 0.7, -0.2),
    Sector("1071", "Bakkerijen", "Bakeries", 0.004, 0.40, 0.40, False, 90, 0.5, 0.0, 0.2),
    Sector(
        "8690",
        "Overige gezondheidszorg",
        "Other human health activities",
        0.050,
        0.15,
        0.0,
        False,
        80,
        0.3,
        -0.1,
        1.3,
    ),
    Sector("8559", "Overig onderwijs", "Other education", 0.030, 0.10, 0.05, False, 60, 0.2, -0.2, 0.9),
    Sector("9001", "Beoefening van podiumkunst", "Performing arts", 0.030, 0.05, 0.10, False, 40, 0.2, -0.3, 0.5),
    Sector("7311", "Reclamebureaus", "Advertising agencies", 0.020, 0.30, 0.0, False, 110, 0.4, -0.4, 0.4),
    Sector("0113", "Teelt van groenten", "Growing of vegetables", 0.015, 0.50, 0.10, False, 180, 1.5, -0.6, -1.0),
    Sector(
        "9604",
        "Sauna's, solaria en massagesalons",
        "Saunas, solaria and massage parlours",
        0.005,
        0.15,
        0.60,
        True,
        50,
        0.5,
        1.0,
        1.0,
    ),
    Sector(
        "9499",
        "Overige ideële organisaties",
        "Other membership organisations",
        0.030,
        0.0,
        0.10,
        False,
        30,
        1.0,
        -0.2,
        0.3,
    ),
    Sector(
        "7490",
        "Overige specialistische zakelijke dienstverlening",
        "Other specialist business services",
        0.070,
        0.30,
        0.0,
        False,
        100,
        0.4,
        0.0,
        0.2,
    ),
)

#: Sectors each criminal mechanism operates in, with relative weights.
MECHANISM_SECTORS: Final[dict[str, dict[str, float]]] = {
    "front": {
        "9602": 3,
        "4742": 2,
        "5610": 3,
        "5630": 2,
        "4778": 2,
        "4511": 2,
        "4520": 1,
        "9604": 1,
        "6619": 1,
        "4932": 1,
        "5510": 0.5,
    },
    "shell": {"6420": 5, "7022": 3, "4690": 2, "7490": 2, "8211": 0.5},
    "property": {"6810": 4, "6820": 4, "6831": 1, "4120": 1},
    "phoenix": {"4120": 3, "4334": 2, "4941": 2, "8121": 2, "7820": 3, "5610": 2, "4511": 1},
    "facilitator": {"6920": 3, "8211": 3, "6619": 2, "6831": 1},
}


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

LEGAL_FORMS: Final[tuple[str, ...]] = (
    "eenmanszaak",
    "VOF",
    "CV",
    "BV",
    "NV",
    "stichting",
    "vereniging",
    "coöperatie",
)
ADDRESS_TYPES: Final[tuple[str, ...]] = ("residential", "commercial", "domicile_flex")
OFFICER_ROLES: Final[tuple[str, ...]] = ("bestuurder", "aandeelhouder", "gevolmachtigde")
OWNER_TYPES: Final[tuple[str, ...]] = ("person", "company", "foreign_entity")
MECHANISMS: Final[tuple[str, ...]] = ("none", "front", "shell", "property", "phoenix", "facilitator")
CASE_SOURCES: Final[tuple[str, ...]] = ("RIEC", "Bibob", "FIOD")
CASE_OUTCOMES: Final[tuple[str, ...]] = ("confirmed", "dismissed", "pending")
INSOLVENCY_TYPES: Final[tuple[str, ...]] = ("faillissement", "surseance", "schuldsanering")
FILING_SOURCES: Final[tuple[str, ...]] = ("jaarrekening", "aangifte")
MIGRATION_BACKGROUNDS: Final[tuple[str, ...]] = ("none", "western", "non_western")
GENDERS: Final[tuple[str, ...]] = ("female", "male")
SES_CLASSES: Final[tuple[str, ...]] = ("low", "middle", "high")
