"""Short phrases written for the tests (never copied from a real note).

Shared by the unit tests and by the test that checks every pattern's ``starts`` /
``anchors`` promise, so that promise is exercised on every phrasing family.
"""

from __future__ import annotations

TIME = [
    ("Fluoroscopy time: 1:32", 1.53),
    ("fluoro time 00:48", 0.8),
    ("Fluoroscopy time was 2 minutes 15 seconds.", 2.25),
    ("Total fluoroscopy time was 12 minutes and 43 seconds.", 12.72),
    ("FLUOROSCOPY TIME:  12.4 minutes.", 12.4),
    ("Fluoroscopy time: 48 seconds", 0.8),
    ("total fluoroscopic time of 3.5 min", 3.5),
    ("FT: 0.8 min", 0.8),
    ("FT 45 s", 0.75),
    (
        "A total of 40 mL of contrast and 1.4 minutes of fluoroscopy time were used.",
        1.4,
    ),
    ("Fluoroscopy was used for 30 seconds.", 0.5),
    ("Fluoroscopy time (s): 48", 0.8),
    ("Fluoroscopy time (min): 3.2", 3.2),
    ("fluoroscopy time = 1 min 5 sec", 1.08),
    ("Fluoroscopy time: 2m15s", 2.25),
    ("fluoroscopy time: 1:02:03", 62.05),
    ("Fluoro time approx. 2 min", 2.0),
    ("Screening time 45 s.", 0.75),
    ("fluoroscopy time was 1,250 seconds", 20.83),
    ("Fluoroscopy time 1 h 5 min", 65.0),
    ("Fluoroscopy duration: 3.0 minutes", 3.0),
    ("Fluoroscopy time 1.5 mins; total fluoroscopy time 2.5 mins.", 2.5),
    ("Fluoroscopy time: 0 minutes.", 0.0),
]

TIME_NOT_READ = [
    "The patient is 5 FT 10 in tall.",
    "Fluoroscopy time 2-3 minutes.",
    "Fluoroscopy started at 10:30 am.",
    "Fluoroscopy time: 12:30 pm",
    "FT 0.8",
    "Operative time was 45 minutes under fluoroscopy.",
    "Tourniquet time 35 minutes. Fluoroscopy confirmed the reduction.",
]

AIR_KERMA = [
    ("Air kerma 7.4 mGy.", 7.4),
    ("Reference air kerma: 0.0074 Gy.", 7.4),
    ("Air kerma 0.74 cGy.", 7.4),
    ("Reference air kerma: 1,250 mGy.", 1250.0),
    ("X-ray dose, 2666 milligray.", 2666.0),
    ("Cumulative air kerma (mGy): 35", 35.0),
    ("Ka,r 12 mGy", 12.0),
    ("Fluoroscopy dose 3 mGy.", 3.0),
    ("Air kerma: 2.5 Gy at the reference point.", 2500.0),
    ("7.4 mGy air kerma under fluoroscopy", 7.4),
    ("Under fluoroscopy. Total dose 35 mGy.", 35.0),
    ("Fluoroscopy time 1.2 min, 35 mGy.", 35.0),
    ("Under fluoroscopy, air kerma was 12 mGy and DAP 1.2 Gy·cm2.", 12.0),
    ("Air kerma 30 mGy, peak skin dose 20 mGy, under fluoroscopy.", 30.0),
    ("Air kerma 2 centigray.", 20.0),
]

DAP = [
    ("DAP 2.6 Gy·cm².", 2.6),
    ("DAP 2.6 Gy-cm2", 2.6),
    ("DAP 2.6 Gy*cm2", 2.6),
    ("DAP 2.6 Gy cm2", 2.6),
    ("DAP 2.6 Gycm2", 2.6),
    ("DAP 2.6 Gy x cm2", 2.6),
    ("DAP 2.6 GY-CM2", 2.6),
    ("DAP 2.6 Gy.cm^2", 2.6),
    ("DAP 260 cGy·cm²", 2.6),
    ("DAP 2600 mGy·cm²", 2.6),
    ("DAP 2,600 mGy·cm²", 2.6),
    ("DAP 26 dGy·cm²", 2.6),
    ("DAP 260 µGy·m²", 2.6),
    ("DAP 260 uGy*m2", 2.6),
    ("DAP 260 μGy m2", 2.6),
    ("DAP 260 mcGy·m2", 2.6),
    ("DAP 0.00026 Gy·m²", 2.6),
    ("DAP 0.26 mGy·m²", 2.6),
    ("KAP 41 µGy·m²", 0.41),
    ("DAP (Gy·cm²): 2.6", 2.6),
    ("Dose-area product 2.6 Gy/cm2", 2.6),
    ("DAP 3.5 cGy/cm²", 0.035),
]

DOSE_NOT_READ = [
    "She received 5040 cGy in 28 fractions.",
    "She then received 5580 cGy of XRT.",
    "46.8 Gy in 26 fractions of external beam radiotherapy.",
    "The expected radiation dose to the tumor was 201 Gy.",
    "Under fluoroscopy. Estimated peak skin dose: 450 mGy.",
    "Under fluoroscopy. CTDIvol 12 mGy.",
    "Under fluoroscopy. DLP 450 mGy-cm.",
    "Under fluoroscopy. Air kerma rate 12 mGy/min.",
    "Under fluoroscopy. 2 Gy.",
    "Total dose 35 mGy.",
    "Under fluoroscopy. Total dose 3 Gy.",
    "Under fluoroscopy. 2 Gy in 5 fractions.",
    "Under fluoroscopy. DAP 350 mGy.",
    "Gynecology consult; 5 gy n/a.",
]

USED = [
    "The needle was advanced under fluoroscopic guidance.",
    "The C-arm was brought in.",
    "A mini C-arm was used to confirm the position.",
    "Reduction confirmed with image intensifier.",
    "The catheter was placed under x-ray guidance.",
    "PROCEDURES PLANNED AND PERFORMED\n1.  Pacemaker implantation.\n"
    "2.  Fluoroscopic guidance.",
    "The wire passed without difficulty under fluoroscopy.",
    "Prior to incision, fluoroscopy was used to mark the level.",
    "The C-arm was draped but not used. Later, fluoroscopy confirmed the position.",
    "Injected without sedation but under fluoroscopy.",
    "Under fluoroscopy, no contrast extravasation was seen.",
    "No pneumothorax was seen on fluoroscopy.",
    "The swallow was studied by videofluoroscopy.",
    "Placed using live x-ray control.",
    "FT 0.6 min.",
]

NOT_USED = [
    "Cervical epidural steroid injection without fluoroscopy.",
    "Fluoroscopy was not required.",
    "Fluoroscopy was not needed for this procedure.",
    "The C-arm was draped but not used.",
    "The C-arm was brought into the room but was never used.",
    "No fluoroscopy was used.",
    "The procedure did not require fluoroscopy.",
    "There was no need for fluoroscopy.",
    "Fluoroscopy not used.",
    "The patient declined fluoroscopy.",
    "Fluoroscopy was unavailable.",
    "Fluoroscopy: none.",
    "FLUOROSCOPY TIME:  0 minutes.",
    "We will plan an SI joint injection under fluoroscopy.",
    "Fluoroscopy will be used if needed.",
    "Risks including excessive fluoroscopic exposure were discussed.",
    "She has a history of fluoroscopically guided injections.",
    "Prior fluoroscopy showed a fracture.",
    "Fluoroscopy was performed 2 years ago.",
    "The case was done without the use of fluoroscopy or C-arm.",
    "If fluoroscopy is needed, it will be arranged.",
]

NOT_MENTIONED = [
    "He was treated with 5-fluorouracil.",
    "Fluorescein angiography was normal.",
    "Fluoride varnish applied.",
    "PET with 18F-fluoro-deoxyglucose.",
    "Started a fluoroquinolone for the infection.",
    "She received 5040 cGy in 28 fractions.",
    "Fluorometholone drops were prescribed.",
    "Radiographic control at 6 weeks showed union.",
    "",
]

INDICATION = [
    (
        "INDICATION:  Left hip fracture requiring fixation.\n"
        "PROCEDURE:  Under fluoroscopic guidance the nail was placed.",
        "Left hip fracture requiring fixation",
    ),
    (
        "INDICATION\nSevere back pain from a T12 compression fracture.\n\n"
        "PROCEDURE: Kyphoplasty under fluoroscopy.",
        "Severe back pain from a T12 compression fracture",
    ),
    (
        "REFERRAL INDICATION\n1.  Tachybrady syndrome.\n2.  Chronic atrial "
        "fibrillation.\n\nFLUOROSCOPY TIME:  1.2 minutes.",
        "Tachybrady syndrome; Chronic atrial fibrillation",
    ),
    (
        "REASON FOR EXAM: Dysphagia.\nTECHNIQUE: Modified barium swallow under "
        "fluoroscopy.",
        "Dysphagia",
    ),
    (
        "INDICATIONS:  This is a 44-year-old female.  She has right L5 radicular "
        "pain.\nUnder fluoroscopy the needle was placed.",
        "This is a 44-year-old female. She has right L5 radicular pain",
    ),
    (
        "PREOPERATIVE DIAGNOSES:\n1.  Breast carcinoma.\n2.  Chemotherapy required.\n\n"
        "OPERATION: Port placement. Fluoroscopy confirmed the tip.",
        "Chemotherapy required",
    ),
    (
        "He has been referred for cardiac catheterization. Fluoroscopy time was "
        "8 minutes.",
        "He has been referred for cardiac catheterization",
    ),
    (
        "OPERATIVE NARRATIVE:  She sustained a distal radius fracture in a fall. "
        "Fluoroscopy confirmed the reduction.",
        "She sustained a distal radius fracture in a fall",
    ),
    (
        "CLINICAL HISTORY:  Cough and choking with feeds.\n"
        "TECHNIQUE:  Videofluoroscopic swallow study.",
        "Cough and choking with feeds",
    ),
]

NO_INDICATION = [
    "PREOPERATIVE DIAGNOSIS:  Lumbar stenosis.\nPROCEDURE: Epidural injection under "
    "fluoroscopy.",
    "PROCEDURE: The needle was placed under fluoroscopy.",
    "INDICATION: Hip fracture.\nRadiation therapy 5040 cGy.",
]

IMAGES = [
    ("Under fluoroscopy. Images were saved to PACS.", True),
    ("A hard copy of the fluoroscopy was obtained.", True),
    ("Permanent images were obtained with the C-arm.", True),
    ("Under fluoroscopy; 8 images saved.", True),
    ("Fluoroscopic images were archived.", True),
    ("Spot fluoroscopic images were obtained.", True),
    ("No images were saved. The C-arm was used.", False),
    ("Fluoroscopic images were not stored.", False),
    ("Images saved: none. Under fluoroscopy.", False),
    ("Under fluoroscopy the screw was placed.", None),
]

REPORT = [
    ("See separate radiology report for the fluoroscopy.", True),
    ("The fluoroscopy will be dictated separately.", True),
    ("Fluoroscopic images were interpreted by the radiologist.", True),
    (
        "EXAM:  Barium enema.\nTECHNIQUE: Spot fluoroscopic images were obtained.\n"
        "IMPRESSION: Normal.",
        True,
    ),
    ("Fluoroscopy was used; no separate report was generated.", False),
    (
        "Under fluoroscopy the disc space was confirmed, and the fusion will be "
        "separately dictated by Dr. X.",
        None,
    ),
]

STANDALONE = [
    ("Modified barium swallow under fluoroscopy.", True),
    ("Fluoroscopic sniff test showed paradoxical motion.", True),
    (
        "Dynamic stress views of the contralateral ankle were obtained under "
        "fluoroscopy for suspected syndesmotic injury.",
        True,
    ),
    ("Fluoroscopic foreign body localization in the hand.", True),
    ("Flexion-extension fluoroscopy of the cervical spine.", True),
    ("The needle was advanced under fluoroscopic guidance.", False),
    ("The C-arm was brought in and the screw was placed.", False),
    (
        "Nuclear stress imaging showed ischemia. Catheter advanced under fluoroscopy.",
        False,
    ),
    ("Fluoroscopy was mentioned.", None),
    ("Cervical epidural steroid injection without fluoroscopy.", None),
]


def all_phrases() -> list[str]:
    """Every phrase above, for pattern-level checks."""
    texts: list[str] = []
    for pairs in (TIME, AIR_KERMA, DAP, INDICATION, IMAGES, REPORT, STANDALONE):
        texts.extend(t for t, _ in pairs)
    for plain in (TIME_NOT_READ, DOSE_NOT_READ, USED, NOT_USED, NOT_MENTIONED):
        texts.extend(plain)
    texts.extend(NO_INDICATION)
    return texts
