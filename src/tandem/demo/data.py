"""Tables behind the demo clinic: names, addresses, problems, medications, allergies, staff. Pure data.

Everything here is fictional. Phone numbers use the 555-0100..0199 range reserved for fiction, e-mail
addresses the example.* domains reserved by RFC 2606. The problems are the musculoskeletal conditions a
DC/PT/LMT clinic sees most; each is a billable ICD-10-CM code, checked at start-up by the generator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NamePool:
    """First and family names for patients whose preferred language is not English."""

    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[tuple[str, str], ...]  # (male form, female form); equal where the language has one form


@dataclass(frozen=True)
class ProblemTemplate:
    """One ICD-10-CM code as the demo uses it.

    `sites` lists the body regions it may be recorded at (one is chosen; "" for none). `side` is "" for
    axial regions, "left"/"right"/"bilateral" when the code itself names the side, or "any" when the code
    has no side but the region needs one. `tags` keep codes that exclude each other (ICD-10-CM Excludes1
    notes, or a symptom code beside the diagnosis that explains it) off the same patient. `findings` are
    the imaging or examination findings of structural problems; "{joint}" becomes e.g. "right knee".
    """

    code: str
    category: str  # "structural" or "soft-tissue"
    sites: tuple[str, ...]
    side: str
    weight: float
    tags: tuple[str, ...]
    kind: str = "chronic"  # "chronic", "degenerative" (commoner with age) or "acute" (an injury)
    findings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Drug:
    """A medication as recorded: the name the drug-class table reads, and a typical dosage."""

    name: str
    dosage: str
    weight: float = 1
    course: str = "long-term"  # "long-term", "as-needed" or "short" (a course that ends)
    nsaid: bool = False
    from_age: int = 18  # blood-pressure, cholesterol and diabetes drugs go to older patients


@dataclass(frozen=True)
class Allergen:
    substance: str
    category: str  # FHIR allergy-intolerance-category
    criticality: str
    reaction: str
    weight: float
    nsaid: bool = False


# The tables read best one row per line; keep the formatter off them.
# fmt: off

# --- People -----------------------------------------------------------------------------------------------

FEMALE_FIRST = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle", "Carol",
    "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy",
    "Angela", "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine", "Christine",
    "Rachel", "Heather", "Diane", "Julie", "Olivia", "Joyce", "Victoria", "Megan", "Hannah", "Madison",
    "Abigail", "Chloe", "Grace", "Natalie", "Zoe", "Priya", "Aaliyah", "Keiko", "Ingrid", "Fiona",
)
MALE_FIRST = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Andrew", "Paul", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Jason", "Edward", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
    "Tyler", "Aaron", "Nathan", "Henry", "Peter", "Adam", "Ethan", "Omar", "Rahul", "Malik",
)
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams",
    "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper",
    "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson",
    "Brooks", "Bennett", "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross",
    "Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher", "Henderson", "Coleman", "Jensen",
    "Olson", "Larsen", "Hansen", "Schmidt", "Weber", "Becker", "O'Brien", "McCarthy", "Gallagher", "Murray",
    "Nguyen", "Tran", "Garcia", "Martinez", "Lopez", "Kim", "Park", "Chen", "Wong", "Patel",
    "Shah", "Singh", "Yamamoto", "Tanaka", "Haddad", "Cohen", "Kowalski", "Novak", "Rossi", "Andersen",
)
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate", "Thomas": "Tom",
    "Michael": "Mike", "Jennifer": "Jen", "Margaret": "Peggy", "James": "Jim", "Richard": "Rick",
    "Christopher": "Chris", "Daniel": "Dan", "Patricia": "Pat", "Rebecca": "Becky", "Alexander": "Alex",
    "Samantha": "Sam", "Joseph": "Joe", "Kimberly": "Kim", "Benjamin": "Ben", "Victoria": "Vicky",
}
NAME_POOLS: dict[str, NamePool] = {
    "es": NamePool(
        ("María", "Guadalupe", "Rosa", "Ana", "Carmen", "Lucía", "Sofía", "Isabel", "Elena", "Verónica",
         "Adriana", "Gabriela"),
        ("José", "Juan", "Luis", "Carlos", "Miguel", "Jorge", "Alejandro", "Francisco", "Javier", "Manuel",
         "Ricardo", "Pedro"),
        tuple((n, n) for n in (
            "García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez",
            "Ramírez", "Flores", "Torres", "Rivera", "Morales", "Cruz", "Gutiérrez", "Jiménez", "Vargas",
            "Castillo")),
    ),
    "vi": NamePool(
        ("Linh", "Mai", "Thu", "Hoa", "Lan", "Ngoc", "Trang", "Huong"),
        ("Minh", "Tuan", "Duc", "Hung", "Quang", "Thanh", "Long", "Khanh"),
        tuple((n, n) for n in ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do")),
    ),
    "zh": NamePool(
        ("Mei", "Xiuying", "Lina", "Hui", "Jing", "Yan", "Fang", "Ling"),
        ("Wei", "Jun", "Hao", "Lei", "Ming", "Jian", "Tao", "Qiang"),
        tuple((n, n) for n in (
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin", "Xu")),
    ),
    "ru": NamePool(
        ("Olga", "Natalia", "Irina", "Svetlana", "Tatiana", "Elena", "Anna", "Yulia"),
        ("Sergei", "Dmitri", "Alexei", "Ivan", "Mikhail", "Andrei", "Nikolai", "Vladimir"),
        (("Ivanov", "Ivanova"), ("Smirnov", "Smirnova"), ("Kuznetsov", "Kuznetsova"), ("Popov", "Popova"),
         ("Volkov", "Volkova"), ("Sokolov", "Sokolova"), ("Morozov", "Morozova"), ("Lebedev", "Lebedeva"),
         ("Novikov", "Novikova"), ("Orlov", "Orlova"), ("Kovalenko", "Kovalenko"), ("Zaitsev", "Zaitseva")),
    ),
}

# Preferred language: mostly English, then the languages most spoken at home in the Portland area.
LANGUAGE_WEIGHTS: tuple[tuple[str, float], ...] = (("en", 84), ("es", 8), ("vi", 3), ("zh", 3), ("ru", 2))

# (street, city, state, ZIP, weight): Portland neighbourhoods and the suburbs around them.
STREETS: tuple[tuple[str, str, str, str, float], ...] = (
    ("SE Hawthorne Blvd", "Portland", "OR", "97214", 3), ("SE Division St", "Portland", "OR", "97202", 3),
    ("NE Alberta St", "Portland", "OR", "97211", 3), ("N Mississippi Ave", "Portland", "OR", "97227", 2),
    ("NW 23rd Ave", "Portland", "OR", "97210", 2), ("SE Belmont St", "Portland", "OR", "97214", 3),
    ("NE Sandy Blvd", "Portland", "OR", "97232", 3), ("N Lombard St", "Portland", "OR", "97203", 2),
    ("SE Foster Rd", "Portland", "OR", "97206", 3), ("SW Capitol Hwy", "Portland", "OR", "97219", 2),
    ("NE Fremont St", "Portland", "OR", "97212", 2), ("SE Powell Blvd", "Portland", "OR", "97202", 2),
    ("SE Stark St", "Portland", "OR", "97215", 2), ("NE Killingsworth St", "Portland", "OR", "97211", 2),
    ("SE 82nd Ave", "Portland", "OR", "97266", 3), ("N Williams Ave", "Portland", "OR", "97227", 2),
    ("SW Barbur Blvd", "Portland", "OR", "97219", 2), ("SE Woodstock Blvd", "Portland", "OR", "97206", 2),
    ("NE Glisan St", "Portland", "OR", "97232", 2), ("SE Clinton St", "Portland", "OR", "97202", 2),
    ("SW Canyon Rd", "Beaverton", "OR", "97005", 2), ("SW Murray Blvd", "Beaverton", "OR", "97006", 2),
    ("NE Division St", "Gresham", "OR", "97030", 2), ("SE Main St", "Milwaukie", "OR", "97222", 2),
    ("A Ave", "Lake Oswego", "OR", "97034", 1), ("SW Pacific Hwy", "Tigard", "OR", "97223", 2),
    ("SE Washington St", "Hillsboro", "OR", "97123", 1),
    ("SE Sunnyside Rd", "Happy Valley", "OR", "97086", 1),
    ("Willamette Dr", "West Linn", "OR", "97068", 1), ("Molalla Ave", "Oregon City", "OR", "97045", 1),
    ("Main St", "Vancouver", "WA", "98660", 1), ("NE Fourth Plain Blvd", "Vancouver", "WA", "98661", 1),
)
AREA_CODES = ("503", "503", "503", "971", "360")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# (relationship, weight, who): who is "partner", "child", "parent", "sibling" or "friend".
EMERGENCY_RELATIONSHIPS: tuple[tuple[str, float, str], ...] = (
    ("spouse", 34, "partner"), ("partner", 10, "partner"), ("daughter", 10, "child"), ("son", 8, "child"),
    ("mother", 10, "parent"), ("father", 5, "parent"), ("sister", 8, "sibling"), ("brother", 5, "sibling"),
    ("friend", 10, "friend"),
)

# --- Problems ---------------------------------------------------------------------------------------------

S, T = "structural", "soft-tissue"
LOW_BACK = ("low-back-pain",)

PROBLEMS: tuple[ProblemTemplate, ...] = (
    # Lumbar spine
    ProblemTemplate("M51.362", S, ("lumbar",), "", 5, ("lumbar-disc", *LOW_BACK), "degenerative", (
        ("MRI", "advanced L4-L5 disc degeneration"),
        ("MRI", "L5-S1 disc desiccation and loss of height with a broad-based bulge"),
        ("MRI", "moderate L4-L5 and L5-S1 disc degeneration"))),
    ProblemTemplate("M51.360", S, ("lumbar",), "", 3, ("lumbar-disc", *LOW_BACK), "degenerative", (
        ("MRI", "mild L4-L5 disc desiccation without nerve root compression"),
        ("MRI", "L3-L4 disc degeneration with an annular fissure"))),
    ProblemTemplate("M51.361", S, ("lumbar",), "", 1.5, ("lumbar-disc", "sciatica"), "degenerative", (
        ("MRI", "L5-S1 disc degeneration with lateral recess narrowing"),)),
    ProblemTemplate("M51.16", S, ("lumbar",), "", 2, ("lumbar-disc", "sciatica", *LOW_BACK), "chronic", (
        ("MRI", "L5-S1 paracentral disc protrusion contacting the S1 nerve root"),
        ("MRI", "L4-L5 disc extrusion with L5 nerve root impingement"))),
    ProblemTemplate("M48.061", S, ("lumbar",), "", 1.5, ("lumbar-stenosis",), "degenerative", (
        ("MRI", "moderate central canal stenosis at L4-L5"),)),
    ProblemTemplate("M48.062", S, ("lumbar",), "", 1.5, ("lumbar-stenosis",), "degenerative", (
        ("MRI", "severe central canal stenosis at L3-L4 and L4-L5"),)),
    ProblemTemplate("M47.816", S, ("lumbar",), "", 2, ("lumbar-spondylosis",), "degenerative", (
        ("X-ray", "multilevel facet arthropathy L3-S1"),
        ("X-ray", "anterior osteophytes L2-L5 with preserved disc heights"))),
    ProblemTemplate("M43.16", S, ("lumbar",), "", 1, ("spondylolisthesis",), "degenerative", (
        ("X-ray", "grade 1 anterolisthesis of L4 on L5, stable on flexion-extension views"),)),
    ProblemTemplate("M99.03", S, ("lumbar",), "", 2, ("lumbar-segmental",), "chronic", (
        ("X-ray", "loss of lumbar lordosis; restricted L4-L5 segmental motion on exam"),)),
    ProblemTemplate("M54.50", T, ("lumbar",), "", 6, LOW_BACK),
    ProblemTemplate("M54.59", T, ("lumbar",), "", 1, LOW_BACK),
    ProblemTemplate("M54.41", T, ("lumbar",), "", 1.5, (*LOW_BACK, "sciatica")),
    ProblemTemplate("M54.42", T, ("lumbar",), "", 1.5, (*LOW_BACK, "sciatica")),
    ProblemTemplate("M54.31", T, ("thigh",), "right", 1, ("sciatica",)),
    ProblemTemplate("M54.32", T, ("thigh",), "left", 1, ("sciatica",)),
    ProblemTemplate("S39.012A", T, ("lumbar",), "", 2, LOW_BACK, "acute"),
    ProblemTemplate("M62.830", T, ("lumbar", "thoracic"), "", 2, ("back-spasm",)),
    # Pelvis and hip (piriformis syndrome is indexed to G57.0-, lesion of the sciatic nerve)
    ProblemTemplate("M53.2X8", S, ("sacral",), "", 2, ("si-joint",), "chronic", (
        ("Exam", "4 of 5 sacroiliac provocation tests positive (Laslett cluster)"),
        ("Exam", "3 of 5 sacroiliac provocation tests positive; lumbar screen negative"))),
    ProblemTemplate("G57.01", T, ("hip",), "right", 1, ("sciatica",)),
    ProblemTemplate("G57.02", T, ("hip",), "left", 1, ("sciatica",)),
    ProblemTemplate("M70.61", T, ("hip",), "right", 0.7, ("hip-bursitis",)),
    ProblemTemplate("M70.62", T, ("hip",), "left", 0.7, ("hip-bursitis",)),
    ProblemTemplate("M16.11", S, ("hip",), "right", 0.6, ("hip-oa",), "degenerative", (
        ("X-ray", "superolateral joint-space narrowing, {joint} (Tönnis grade 2)"),)),
    ProblemTemplate("M16.12", S, ("hip",), "left", 0.6, ("hip-oa",), "degenerative", (
        ("X-ray", "superolateral joint-space narrowing, {joint} (Tönnis grade 2)"),)),
    # Neck, head and thoracic spine
    ProblemTemplate("M54.2", T, ("cervical",), "", 5, ("neck-pain",)),
    ProblemTemplate("S13.4XXA", T, ("cervical",), "", 2, ("neck-pain",), "acute"),
    ProblemTemplate("S16.1XXA", T, ("cervical",), "", 1, ("neck-pain",), "acute"),
    ProblemTemplate("M50.322", S, ("cervical",), "", 1.5, ("cervical-disc", "neck-pain"), "degenerative", (
        ("MRI", "C5-C6 disc degeneration with a posterior disc-osteophyte complex"),)),
    ProblemTemplate("M50.323", S, ("cervical",), "", 1, ("cervical-disc", "neck-pain"), "degenerative", (
        ("MRI", "C6-C7 disc degeneration with mild foraminal narrowing"),)),
    ProblemTemplate("M50.122", S, ("cervical",), "", 1, ("cervical-disc", "neck-pain"), "chronic", (
        ("MRI", "C5-C6 foraminal disc protrusion contacting the exiting C6 nerve root"),)),
    ProblemTemplate("M47.812", S, ("cervical",), "", 1.2, ("cervical-spondylosis",), "degenerative", (
        ("X-ray", "C5-C7 uncovertebral and facet hypertrophy with loss of cervical lordosis"),)),
    ProblemTemplate("M99.01", S, ("cervical",), "", 1.5, ("cervical-segmental",), "chronic", (
        ("X-ray", "reduced cervical lordosis; restricted C5-C6 segmental motion on exam"),)),
    ProblemTemplate("G44.209", T, ("head",), "", 1.5, ("headache",)),
    ProblemTemplate("G44.229", T, ("head",), "", 1, ("headache",)),
    ProblemTemplate("M54.6", T, ("thoracic",), "", 3, ("thoracic-pain",)),
    ProblemTemplate("M79.18", T, ("cervical", "thoracic", "lumbar"), "", 3, ("myalgia",)),
    ProblemTemplate("M79.7", T, ("",), "", 0.6, ("myalgia",)),
    # Upper limb
    ProblemTemplate("S46.011A", T, ("shoulder",), "right", 1.6, ("rotator-cuff",), "acute"),
    ProblemTemplate("S46.012A", T, ("shoulder",), "left", 1.2, ("rotator-cuff",), "acute"),
    ProblemTemplate("M75.41", T, ("shoulder",), "right", 0.8, ("rotator-cuff",)),
    ProblemTemplate("M75.42", T, ("shoulder",), "left", 0.6, ("rotator-cuff",)),
    ProblemTemplate("M77.11", T, ("elbow",), "right", 0.8, ("epicondylitis",)),
    ProblemTemplate("M77.12", T, ("elbow",), "left", 0.4, ("epicondylitis",)),
    # Lower limb
    ProblemTemplate("M17.11", S, ("knee",), "right", 1.3, ("knee-oa",), "degenerative", (
        ("X-ray", "medial joint-space narrowing and osteophytes, {joint} (Kellgren-Lawrence grade 3)"),
        ("X-ray", "tricompartmental osteoarthritis, {joint} (Kellgren-Lawrence grade 2)"))),
    ProblemTemplate("M17.12", S, ("knee",), "left", 1.2, ("knee-oa",), "degenerative", (
        ("X-ray", "medial joint-space narrowing and osteophytes, {joint} (Kellgren-Lawrence grade 3)"),
        ("X-ray", "tricompartmental osteoarthritis, {joint} (Kellgren-Lawrence grade 2)"))),
    ProblemTemplate("M17.0", S, ("knee",), "bilateral", 0.8, ("knee-oa",), "degenerative", (
        ("X-ray", "medial joint-space narrowing, {joint} (Kellgren-Lawrence grade 2)"),)),
    ProblemTemplate("M76.31", T, ("thigh",), "right", 0.5, ("itbs",)),
    ProblemTemplate("M76.32", T, ("thigh",), "left", 0.5, ("itbs",)),
    ProblemTemplate("M72.2", T, ("ankle-foot",), "any", 2, ("plantar",)),
)

# Plural forms for the "{joint}" placeholder of bilateral findings.
JOINT_PLURALS = {"knee": "knees", "hip": "hips", "shoulder": "shoulders"}

# How often a problem of each kind is picked, by age band (<35, 35-54, 55-69, 70+).
AGE_BANDS = (35, 55, 70)
KIND_FACTORS: dict[str, tuple[float, float, float, float]] = {
    "chronic": (1.0, 1.0, 1.0, 1.0),
    "degenerative": (0.15, 0.8, 1.7, 2.4),
    "acute": (1.6, 1.2, 0.8, 0.5),
}
PROBLEM_COUNT_WEIGHTS = ((1, 45), (2, 38), (3, 17))
# Clinical status of a patient's second and third problems (the first is the one being treated: active).
SECONDARY_STATUS_WEIGHTS = (("active", 72), ("recurrence", 10), ("remission", 9), ("inactive", 9))
ACUTE_RESOLVES_AFTER_DAYS = 120

# --- Medications ------------------------------------------------------------------------------------------

COMMON_DRUGS: tuple[Drug, ...] = (
    Drug("Ibuprofen", "400 mg by mouth every 6 hours as needed for pain", 8, "as-needed", nsaid=True),
    Drug("Naproxen", "500 mg by mouth twice daily as needed for pain", 5, "as-needed", nsaid=True),
    Drug("Acetaminophen", "500 mg by mouth every 6 hours as needed for pain", 5, "as-needed"),
    Drug("Cyclobenzaprine", "10 mg by mouth at bedtime as needed for muscle spasm", 4, "short"),
    Drug("Gabapentin", "300 mg by mouth three times daily", 3),
    Drug("Lisinopril", "10 mg by mouth once daily", 5, from_age=40),
    Drug("Atorvastatin", "20 mg by mouth once daily", 5, from_age=40),
    Drug("Amlodipine", "5 mg by mouth once daily", 2, from_age=40),
    Drug("Metformin", "500 mg by mouth twice daily with meals", 2, from_age=35),
    Drug("Levothyroxine", "75 mcg by mouth once daily before breakfast", 2),
    Drug("Sertraline", "50 mg by mouth once daily", 2),
    Drug("Omeprazole", "20 mg by mouth once daily", 2),
)
COMMON_DRUG_COUNT_WEIGHTS = ((0, 50), (1, 30), (2, 15), (3, 5))

# Anticoagulants and antiplatelets (the drug-class table flags them); likelier with age.
BLOOD_THINNERS: tuple[Drug, ...] = (
    Drug("Warfarin", "5 mg by mouth once daily (INR goal 2-3)", 20),
    Drug("Apixaban", "5 mg by mouth twice daily", 33),
    Drug("Rivaroxaban", "20 mg by mouth once daily with the evening meal", 15),
    Drug("Clopidogrel", "75 mg by mouth once daily", 12),
    Drug("Aspirin", "81 mg by mouth once daily", 20),
)
# Chance of a blood thinner by age band (<35, 35-54, 55-69, 70+): about one patient in eight overall.
BLOOD_THINNER_CHANCE = (0.02, 0.08, 0.20, 0.34)
PREDNISONE = Drug("Prednisone", "10 mg by mouth once daily, tapering over 2 weeks", course="short")
PREDNISONE_CHANCE = 0.025
ALENDRONATE = Drug("Alendronate", "70 mg by mouth once weekly")
ALENDRONATE_CHANCE_WOMEN_OVER_55 = 0.14

# --- Allergies --------------------------------------------------------------------------------------------

ALLERGENS: tuple[Allergen, ...] = (
    Allergen("Latex", "environment", "high", "Hives and wheezing", 3),
    Allergen("Latex", "environment", "low", "Contact dermatitis", 3),
    Allergen("Lavender oil", "environment", "low", "Itchy rash", 2),
    Allergen("Arnica", "medication", "low", "Contact dermatitis", 2),
    Allergen("Sweet almond oil", "food", "low", "Hives", 1),
    Allergen("Adhesive tape", "environment", "low", "Skin irritation and blistering", 2),
    Allergen("NSAIDs (ibuprofen, naproxen)", "medication", "high", "Angioedema", 2, nsaid=True),
    Allergen("Ibuprofen", "medication", "low", "Stomach upset and hives", 2, nsaid=True),
    Allergen("Penicillin", "medication", "low", "Rash", 6),
    Allergen("Penicillin", "medication", "high", "Anaphylaxis", 1),
    Allergen("Sulfa drugs", "medication", "low", "Rash", 2),
    Allergen("Peanuts", "food", "high", "Anaphylaxis", 2),
    Allergen("Tree nuts", "food", "high", "Throat swelling", 2),
)
ALLERGY_COUNT_WEIGHTS = ((0, 74), (1, 21), (2, 5))

# --- Care teams and staff ---------------------------------------------------------------------------------

# Which disciplines treat the patient, and how often: many DC+LMT, DC+PT, PT+LMT and all three.
TEAM_SHAPES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("chiropractic",), 10),
    (("physical-therapy",), 8),
    (("chiropractic", "massage-therapy"), 25),
    (("chiropractic", "physical-therapy"), 17),
    (("physical-therapy", "massage-therapy"), 12),
    (("chiropractic", "physical-therapy", "massage-therapy"), 28),
)
DC_LEADS_MIXED_TEAM = 0.7  # when a DC and a PT share a patient, how often the DC leads
PERSONA_SHARE = 0.5  # how often alice / ben / maya is the team's DC / PT / LMT
PAST_MEMBERSHIP_CHANCE = 0.12  # a practitioner who was on the team once and no longer is

# Colleagues beyond the personas, in hiring order: usernames dc2, dc3 ..., pt2 ..., lmt2 ...
STAFF_PREFIX = {"chiropractic": "dc", "physical-therapy": "pt", "massage-therapy": "lmt"}
STAFF_CREDENTIALS = {"chiropractic": "DC", "physical-therapy": "DPT", "massage-therapy": "LMT"}
STAFF_LICENSE_PREFIX = {"chiropractic": "CHI", "physical-therapy": "PT", "massage-therapy": "MA"}
STAFF_PERSONA = {"chiropractic": "alice", "physical-therapy": "ben", "massage-therapy": "maya"}
STAFF_NAMES: dict[str, tuple[str, ...]] = {
    "chiropractic": (
        "Marcus Bell", "Hannah Cho", "Diego Alvarez", "Rachel Stein", "Owen Gallagher", "Fatima Haddad",
        "Trevor Lund", "Naomi Brooks", "Kenji Watanabe", "Laura Becker", "Samuel Osei", "Ingrid Holm",
        "Victor Nakamura", "Claire Dubois", "Elliot Grant",
    ),
    "physical-therapy": (
        "Priya Shah", "Jordan Ellis", "Mei Lin", "Carlos Mendoza", "Aisha Bello", "Nathan Price",
        "Sofia Rossi", "Daniel Kim", "Grace O'Neill", "Tomas Novak", "Leah Friedman", "Marco Bianchi",
        "Yuki Tanaka", "Andre Williams", "Emma Lowe",
    ),
    "massage-therapy": (
        "Jade Morales", "Rosa Delgado", "Kai Anderson", "Lena Fischer", "Tariq Rahman", "Willow Hart",
        "Mateo Cruz", "Ana Petrova", "Chloe Martin", "Isaac Bennett", "Noor Saleh", "Tessa Quinn",
        "Ryan Doyle", "Hana Sato", "Felix Wagner",
    ),
}
PATIENTS_PER_EXTRA_CLINICIAN = 150
