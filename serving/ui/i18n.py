"""Words and numbers of the pages, in Dutch (the default) and English.

One table of (Dutch, English) pairs, so that a text missing in one language is a KeyError in the tests, not a
blank on a page. Numbers follow the language too: Dutch writes a decimal comma and a thousands point. A missing
value is shown as a dash, never as 0.
"""

from __future__ import annotations

from fastapi import Request

from core.text import LANGS, Lang, Pair, Words, number, percent, pick

__all__ = ["LANGS", "Lang", "number", "percent", "pick", "t"]
COOKIE = "tk_lang"

TEXT: dict[str, Pair] = {
    # Frame
    "app": ("Tegenkracht", "Tegenkracht"),
    "tagline": ("Risicosignalen tegen ondermijning", "Risk signals against organised crime"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "other_lang": ("English", "Nederlands"),
    "other_lang_label": ("Switch to English", "Schakel naar Nederlands"),
    "nav": ("Hoofdmenu", "Main menu"),
    "notice": (
        "Een score is een signaal voor menselijke beoordeling, geen bevinding en geen besluit. Een bedrijf op een "
        "shortlist heeft niets misdaan zolang een mens dat niet heeft vastgesteld.",
        "A score is a signal for human review, not a finding and not a decision. A company on a shortlist has done "
        "nothing wrong until a person has established otherwise.",
    ),
    "signed_in_as": ("Aangemeld als {name} ({role})", "Signed in as {name} ({role})"),
    "sign_out": ("Afmelden", "Sign out"),
    "footer": (
        "Elke paginaweergave wordt vastgelegd in het auditspoor, met doel en zaaknummer.",
        "Every page view is written to the audit trail, with its purpose and case reference.",
    ),
    "model_version": ("Modelversie", "Model version"),
    "as_of": ("Peildatum", "As of"),
    "batch": ("Scorebatch", "Score batch"),
    # Roles
    "role_analyst": ("analist", "analyst"),
    "role_data_scientist": ("datawetenschapper", "data scientist"),
    "role_oversight": ("toezicht", "oversight"),
    "role_admin": ("beheerder", "administrator"),
    # Navigation
    "nav_home": ("Start", "Home"),
    "nav_shortlist": ("Shortlist", "Shortlist"),
    "nav_region": ("Regionaal beeld", "Regional picture"),
    "nav_fairness": ("Eerlijkheid", "Fairness"),
    "nav_drift": ("Drift", "Drift"),
    "nav_audit": ("Auditspoor", "Audit trail"),
    "nav_model": ("Modelkaart", "Model card"),
    "nav_users": ("Gebruikers", "Users"),
    # Sign-in
    "signin_title": ("Aanmelden", "Sign in"),
    "signin_intro": (
        "Meld u aan met de API-sleutel die uw beheerder u gaf (tegenkracht users add). De sleutel wordt niet "
        "bewaard in uw browser: u krijgt een sessie die na {idle} minuten zonder activiteit en na {hours} uur "
        "vervalt.",
        "Sign in with the API key your administrator gave you (tegenkracht users add). The key is not kept in your "
        "browser: you get a session that ends after {idle} minutes without activity and after {hours} hours.",
    ),
    "api_key": ("API-sleutel", "API key"),
    "api_key_hint": ("Begint met tk_", "Starts with tk_"),
    "signin_button": ("Aanmelden", "Sign in"),
    "signin_failed": ("Deze sleutel is onbekend, verlopen of ingetrokken.", "This key is unknown, expired or revoked."),
    "signin_missing": ("Vul uw API-sleutel in.", "Enter your API key."),
    "signed_out": ("U bent afgemeld.", "You have signed out."),
    "session_ended": (
        "Uw sessie is verlopen of beëindigd. Meld u opnieuw aan.",
        "Your session has expired or ended. Please sign in again.",
    ),
    # Home
    "home_title": ("Welkom, {name}", "Welcome, {name}"),
    "home_analyst": (
        "U ziet bedrijven in uw RIEC-regio's: {regions}. Elke opvraging van bedrijfsgegevens vraagt een doel en "
        "een zaaknummer.",
        "You see companies in your RIEC regions: {regions}. Every look-up of company data asks for a purpose and a "
        "case reference.",
    ),
    "home_oversight": (
        "U ziet geaggregeerde beelden, het eerlijkheidsrapport, de driftbewaking, het auditspoor en de modelkaart; "
        "geen gegevens van afzonderlijke bedrijven.",
        "You see aggregate pictures, the fairness report, drift monitoring, the audit trail and the model card; no "
        "data on single companies.",
    ),
    "home_data_scientist": (
        "U ziet het eerlijkheidsrapport, de driftbewaking en de modelkaart.",
        "You see the fairness report, drift monitoring and the model card.",
    ),
    "home_admin": (
        "U ziet de gebruikers en de modelkaart; beheer gaat via de opdrachtregel en de API.",
        "You see the users and the model card; administration goes through the command line and the API.",
    ),
    "home_go": ("Ga naar", "Go to"),
    # Case context
    "purpose": ("Doel", "Purpose"),
    "purpose_hint": ("Het wettelijke doel van deze opvraging.", "The legal purpose of this look-up."),
    "purpose_choose": ("Kies een doel", "Choose a purpose"),
    "case_reference": ("Zaaknummer", "Case reference"),
    "case_reference_hint": (
        "Het nummer van het dossier, 3 tot 64 tekens: letters, cijfers en . _ / -. Geen namen.",
        "The case file number, 3 to 64 characters: letters, digits and . _ / -. No names.",
    ),
    "purpose_bibob_screening": ("Bibob-toets", "Bibob screening"),
    "purpose_riec_case": ("RIEC-casus", "RIEC case"),
    "purpose_fiod_investigation": ("FIOD-opsporingsonderzoek", "FIOD criminal investigation"),
    "purpose_tax_supervision": ("Toezicht Belastingdienst", "Tax supervision"),
    "purpose_police_investigation": ("Politieonderzoek", "Police investigation"),
    "purpose_municipal_enforcement": ("Gemeentelijke handhaving", "Municipal enforcement"),
    "case_title": ("Voor welke zaak?", "For which case?"),
    "case_intro": (
        "Deze pagina toont gegevens over afzonderlijke bedrijven. Geef het doel en het zaaknummer waarvoor u ze "
        "opvraagt; beide komen in het auditspoor.",
        "This page shows data on single companies. Give the purpose and the case reference you ask for them for; "
        "both go into the audit trail.",
    ),
    "case_continue": ("Verder", "Continue"),
    "case_confirm_title": ("Doel en zaak bevestigen", "Confirm purpose and case"),
    "case_confirm_intro": (
        "U opende een link die gegevens over een bedrijf vraagt voor het doel en het zaaknummer hieronder. Een link "
        "kan door iemand anders gemaakt zijn: bevestig dat dit uw doel en uw zaak zijn, of verbeter ze. Pas daarna "
        "ziet u het bedrijf, en komt de opvraging met dit doel en deze zaak in het auditspoor.",
        "You opened a link that asks for data on a company for the purpose and case reference below. A link can "
        "be made by someone else: confirm that this is your purpose and your case, or correct them. Only then do "
        "you see the company, and the look-up goes into the audit trail with this purpose and case.",
    ),
    "case_confirm": ("Bevestigen en verder", "Confirm and continue"),
    "for_case": ("Voor {purpose}, zaak {case}", "For {purpose}, case {case}"),
    # Shortlist form
    "shortlist_title": ("Nieuwe shortlist", "New shortlist"),
    "shortlist_intro": (
        "De bedrijven met de hoogste scores in een van uw regio's, eventueel beperkt tot één sector of gemeente.",
        "The companies with the highest scores in one of your regions, optionally limited to one sector or "
        "municipality.",
    ),
    "region": ("RIEC-regio", "RIEC region"),
    "sector": ("Sector (SBI-sectie)", "Sector (SBI section)"),
    "any_sector": ("Alle sectoren", "All sectors"),
    "municipality": ("Gemeente", "Municipality"),
    "any_municipality": ("Alle gemeenten", "All municipalities"),
    "municipality_hint": ("Leeg laten voor alle gemeenten van de regio.", "Leave empty for every municipality."),
    "top_k": ("Aantal bedrijven", "Number of companies"),
    "top_k_hint": ("1 tot {max}.", "1 to {max}."),
    "make_shortlist": ("Maak shortlist", "Make shortlist"),
    "recent_shortlists": ("Uw recente shortlists", "Your recent shortlists"),
    "no_recent": ("U heeft nog geen shortlists gemaakt.", "You have not made any shortlists yet."),
    "created_at": ("Gemaakt", "Created"),
    "open": ("Openen", "Open"),
    "items": ("Bedrijven", "Companies"),
    # Shortlist
    "shortlist_of": ("Shortlist {region}", "Shortlist {region}"),
    "shortlist_filters": ("Filters", "Filters"),
    "shortlist_caption": (
        "De {n} bedrijven met de hoogste scores. Kies een kolomkop om te sorteren.",
        "The {n} companies with the highest scores. Select a column heading to sort.",
    ),
    "rank": ("Rang", "Rank"),
    "company": ("Bedrijf", "Company"),
    "kvk": ("KvK-nummer", "KvK number"),
    "band": ("Kansklasse", "Probability band"),
    "probability": ("Kans", "Probability"),
    "reasons": ("Belangrijkste redenen", "Top reasons"),
    "export_csv": ("Download als CSV", "Download as CSV"),
    "empty_shortlist": (
        "Geen bedrijven voldoen aan deze filters in de huidige scorebatch. Verruim de sector of gemeente.",
        "No companies match these filters in the current score batch. Widen the sector or municipality.",
    ),
    "sort_by": ("Sorteer op {column}", "Sort by {column}"),
    "shortlist_not_found": (
        "Deze shortlist bestaat niet of is niet voor u zichtbaar.",
        "This shortlist does not exist or is not visible to you.",
    ),
    "new_shortlist": ("Nieuwe shortlist", "New shortlist"),
    # Bands
    "band_very_high": ("zeer hoog", "very high"),
    "band_high": ("hoog", "high"),
    "band_raised": ("verhoogd", "raised"),
    "band_low": ("laag", "low"),
    "bands_explained": (
        "Kansklassen: zeer hoog vanaf {a}, hoog vanaf {b}, verhoogd vanaf {c}, anders laag. De kans is de "
        "gekalibreerde kans dat een onderzoek iets vindt, niet de kans dat het bedrijf iets misdaan heeft.",
        "Probability bands: very high from {a}, high from {b}, raised from {c}, otherwise low. The probability is "
        "the calibrated chance that an investigation finds something, not the chance that the company did wrong.",
    ),
    # Company
    "company_title": ("{name}", "{name}"),
    "company_facts": ("Gegevens", "Facts"),
    "region_rank": ("Rang in de regio", "Rank in the region"),
    "explored": ("verkenning", "exploration"),
    "loop_title": ("De leerlus", "The learning loop"),
    "loop_intro": (
        "Per batch: hoeveel lijsten er zijn getrokken, welk deel van de plaatsen willekeurig (verkenning), welk deel "
        "van de vaste en van de getrokken plaatsen een uitkomst kreeg en hoe vaak die bevestigd was, en welk deel van "
        "de uitkomsten van de eigen lijsten kwam. Aantallen zijn afgerond op vijftallen.",
        "Per batch: how many lists were drawn, which share of their places at random (exploration), which share of "
        "the fixed and of the drawn places got an outcome and how often it was confirmed, and which share of the "
        "outcomes came from the system's own lists. Counts are rounded to multiples of five.",
    ),
    "loop_lists": ("lijsten", "lists"),
    "loop_listed": ("plaatsen", "places"),
    "loop_explored_share": ("verkend", "explored"),
    "loop_answered": ("uitkomst vast / verkend", "outcome fixed / explored"),
    "loop_confirmed": ("bevestigd vast / verkend", "confirmed fixed / explored"),
    "loop_from_lists": ("uitkomsten van lijsten", "outcomes from lists"),
    "inclusion_probability": ("kans op de lijst", "chance of being listed"),
    "explored_help": (
        "Deze plaats is willekeurig getrokken uit de bedrijven net onder de vaste plaatsen.",
        "This place was drawn at random from the companies just below the fixed places.",
    ),
    "exploration_explained": (
        "{n} plaatsen ({share} van de lijst) zijn willekeurig getrokken uit de bedrijven net onder de hoogst "
        "gerangschikte, met bekende kans. Onderzoek ze even zorgvuldig: juist hun uitkomsten houden het model eerlijk.",
        "{n} places ({share} of the list) were drawn at random, with known chances, from the companies just below the "
        "highest-ranked. Investigate them as carefully: their outcomes are what keep the model honest.",
    ),
    "score_logodds": ("Score (log-odds)", "Score (log-odds)"),
    "waterfall_title": ("Hoe de score is opgebouwd", "How the score is built up"),
    "waterfall_intro": (
        "Elke balk is de exacte bijdrage van één indicator aan het verschil met vergelijkbare bedrijven (zelfde "
        "branche en grootte), vanaf hun score. Rood verhoogt de score, blauw verlaagt hem. De bijdragen tellen "
        "precies op tot de score.",
        "Each bar is one indicator's exact share of the difference from comparable companies (same trade and "
        "size), starting from their score. Red raises the score, blue lowers it. The shares add up exactly to the "
        "score.",
    ),
    "waterfall_alt": (
        "Watervaldiagram: vanaf de startwaarde {base} leiden de bijdragen tot de score {score}. Grootste "
        "verhoging: {top}.",
        "Waterfall chart: from the starting value {base} the contributions lead to the score {score}. Largest "
        "raise: {top}.",
    ),
    "base_value": ("Startwaarde (vergelijkbare bedrijven)", "Starting value (comparable companies)"),
    "other_indicators": ("Overige {n} indicatoren", "Other {n} indicators"),
    "final_score": ("Score", "Score"),
    "raises": ("verhoogt", "raises"),
    "lowers": ("verlaagt", "lowers"),
    "indicators_title": ("Indicatoren tegenover vergelijkbare bedrijven", "Indicators against comparable companies"),
    "indicators_caption": (
        "Elke indicator met de waarde van dit bedrijf, de waarde bij vergelijkbare bedrijven (zelfde branche en "
        "grootte) en de bijdrage aan het verschil, gesorteerd op de grootte van de bijdrage.",
        "Every indicator with this company's value, the value at comparable companies (same trade and size) and "
        "its share of the difference, sorted by the size of that share.",
    ),
    "indicator": ("Indicator", "Indicator"),
    "value": ("Waarde", "Value"),
    "peer_median": ("Vergelijkbare bedrijven", "Comparable companies"),
    "contribution": ("Bijdrage", "Contribution"),
    "reasons_title": ("Redencodes", "Reason codes"),
    "reasons_raise": ("Wat de score verhoogt", "What raises the score"),
    "reasons_lower": ("Wat de score verlaagt", "What lowers the score"),
    "no_reasons": ("Geen.", "None."),
    "statement_link": ("Feitenoverzicht voor het bedrijf (hoor en wederhoor)", "Fact statement for the company"),
    "statement_title": ("Feitenoverzicht", "Fact statement"),
    "statement_intro": (
        "Dit zijn de feiten waardoor dit bedrijf opviel, zoals het bedrijf ze leest: met bron en datum, zonder "
        "score. Het bedrijf kan op elk feit reageren.",
        "These are the facts that made this company stand out, as the company reads them: with source and date, "
        "without a score. The company can answer every fact.",
    ),
    "statement_download": ("Download ({language})", "Download ({language})"),
    "statement_source": ("Bron", "Source"),
    "statement_feeds": ("Telt mee voor", "Feeds"),
    "statement_peers": ("Bij vergelijkbare bedrijven", "At comparable companies"),
    "statement_none": (
        "Er zijn geen feiten die dit bedrijf boven vergelijkbare bedrijven plaatsen.",
        "No fact places this company above comparable companies.",
    ),
    "rectifications_title": ("Reactie van het bedrijf (rectificatie)", "The company's response (rectification)"),
    "rectifications_intro": (
        "Noteer de feiten die het bedrijf betwist, de juiste waarde (leeg: het gegeven bestaat niet) en een "
        "verwijzing naar het bewijsstuk. Het bedrijf wordt meteen opnieuw gescoord; beide versies blijven bewaard. "
        "Pas als een collega het accepteert, gaat de correctie mee in de volgende indicatorrun.",
        "Note the facts the company disputes, the right value (empty: the record does not exist) and a reference "
        "to the evidence. The company is re-scored at once; both versions are kept. Only once a colleague accepts "
        "it does the correction go into the next indicator run.",
    ),
    "rectify_fact": ("Betwist feit {n}", "Disputed fact {n}"),
    "rectify_value": ("Juiste waarde {n}", "Right value {n}"),
    "rectify_evidence": ("Verwijzing naar het bewijs", "Reference to the evidence"),
    "rectify_submit": ("Reactie vastleggen", "Record the response"),
    "rectify_saved": ("De reactie is vastgelegd.", "The response has been recorded."),
    "rectify_none": ("Nog geen reacties.", "No responses yet."),
    "rectify_caption": (
        "Elke reactie met de feiten zoals ze waren en zoals ze zijn gecorrigeerd, en het signaal voor en na.",
        "Every response with the facts as they were and as corrected, and the signal before and after.",
    ),
    "rectify_facts": ("Feiten (was → wordt)", "Facts (was → becomes)"),
    "rectify_before_after": ("Signaal (voor → na)", "Signal (before → after)"),
    "rectify_state": ("Stand", "State"),
    "rectify_state_pending": ("wacht op een collega", "awaiting a colleague"),
    "rectify_state_accepted": ("geaccepteerd", "accepted"),
    "rectify_state_rejected": ("afgewezen", "rejected"),
    "rectify_accept": ("Accepteren", "Accept"),
    "rectify_reject": ("Afwijzen", "Reject"),
    "rectify_no_record": ("geen gegeven", "no record"),
    "rectify_invalid": (
        "Deze reactie kan niet worden vastgelegd: kies aanvechtbare feiten met een getal als waarde (of leeg) en "
        "geef een verwijzing naar het bewijs.",
        "This response cannot be recorded: choose contestable facts with a number as value (or empty) and give a "
        "reference to the evidence.",
    ),
    "rectify_decided": (
        "Over deze reactie is al besloten, of u legde haar zelf vast: een collega beslist.",
        "This response has been decided already, or you recorded it yourself: a colleague decides.",
    ),
    "recourse_title": ("Welke feiten de uitkomst veranderen", "Which facts change the outcome"),
    "recourse_intro": (
        "Als het bedrijf aantoont dat deze feiten onjuist zijn (en ze dan zijn zoals bij vergelijkbare bedrijven), "
        "komt het signaal onder de drempel van {threshold}. Elke set is zo klein mogelijk. Dit is geen advies om "
        "iets te veranderen.",
        "If the company shows these facts to be wrong (and they then read as at comparable companies), the signal "
        "falls below the threshold of {threshold}. Every set is as small as it can be. This is not advice to "
        "change anything.",
    ),
    "recourse_set": ("Set {n}: daarna {probability}", "Set {n}: then {probability}"),
    "recourse_none": (
        "Geen set van hoogstens {size} aanvechtbare feiten brengt het signaal onder de drempel.",
        "No set of at most {size} contestable facts brings the signal below the threshold.",
    ),
    "recourse_partial": (
        "Alleen de {n} aanvechtbare feiten die het meest afwijken zijn doorzocht.",
        "Only the {n} contestable facts that differ most were searched.",
    ),
    "recourse_below": ("Dit bedrijf zit al onder de drempel.", "This company is already below the threshold."),
    "recourse_unavailable": (
        "Het model van deze batch is nu niet te laden; probeer het later opnieuw.",
        "This batch's model cannot be loaded now; try again later.",
    ),
    "company_not_found": (
        "Er is geen signaal voor bedrijf {company} dat voor u zichtbaar is.",
        "There is no signal for company {company} that is visible to you.",
    ),
    "back_to_shortlist": ("Terug naar de shortlist", "Back to the shortlist"),
    # Feedback
    "feedback_title": ("Terugkoppeling", "Feedback"),
    "feedback_intro": (
        "Wat vond u bij dit bedrijf? Uw terugkoppeling wordt bewaard met uw naam, het zaaknummer en de score. "
        "Ze wordt pas een label voor hertraining via een expliciete export.",
        "What did you find at this company? Your feedback is kept with your name, the case reference and the "
        "score. It becomes a label for retraining only through an explicit export.",
    ),
    "outcome": ("Uitkomst", "Outcome"),
    "outcome_confirmed": ("Bevestigd: er is iets aan de hand", "Confirmed: something is wrong"),
    "outcome_dismissed": ("Afgewezen: niets gevonden", "Dismissed: nothing found"),
    "outcome_inconclusive": ("Onbeslist", "Inconclusive"),
    "note": ("Toelichting (optioneel)", "Note (optional)"),
    "note_hint": (
        "Zakelijk en kort; geen namen van personen. Hoogstens {max} tekens.",
        "Factual and short; no names of persons. At most {max} characters.",
    ),
    "send_feedback": ("Verstuur terugkoppeling", "Send feedback"),
    "feedback_saved": ("Uw terugkoppeling is opgeslagen.", "Your feedback has been saved."),
    "choose_outcome": ("Kies een uitkomst.", "Choose an outcome."),
    "note_too_long": ("De toelichting is te lang.", "The note is too long."),
    "feedback_limit": (
        "U heeft het maximum van {n} terugkoppelingen per 24 uur bereikt. Probeer het later opnieuw.",
        "You have reached the maximum of {n} feedback records per 24 hours. Please try again later.",
    ),
    "given_title": ("Terugkoppeling op dit bedrijf", "Feedback on this company"),
    "given_intro": (
        "Een uitkomst wordt pas een label voor hertraining als een tweede analist van de regio haar bevestigt. "
        "Bevestig alleen wat u zelf in het dossier hebt nagegaan.",
        "An outcome becomes a label for retraining only once a second analyst of the region confirms it. Confirm "
        "only what you have checked in the case file yourself.",
    ),
    "given_intro_no_review": (
        "Uitkomsten worden labels voor hertraining zonder tweede bevestiging (zo ingesteld).",
        "Outcomes become labels for retraining without a second confirmation (as configured).",
    ),
    "given_caption": (
        "Uitkomsten van u en uw collega's, nieuwste eerst, met wie ze bevestigde.",
        "Outcomes from you and your colleagues, newest first, with who confirmed them.",
    ),
    "given_none": ("Nog geen terugkoppeling op dit bedrijf.", "No feedback on this company yet."),
    "given_by": ("Gegeven door", "Given by"),
    "note_short": ("Toelichting", "Note"),
    "confirmed_by": ("Bevestigd door", "Confirmed by"),
    "not_confirmed": ("nog niet bevestigd", "not confirmed yet"),
    "review_action": ("Actie", "Action"),
    "yours": ("u", "you"),
    "review_button": ("Bevestigen", "Confirm"),
    "review_button_label": ("Bevestig de uitkomst {outcome} van {by}", "Confirm the outcome {outcome} by {by}"),
    "review_saved": ("Uw bevestiging is opgeslagen.", "Your confirmation has been saved."),
    "review_own": (
        "U kunt uw eigen uitkomst niet bevestigen: daar is een tweede persoon voor nodig.",
        "You cannot confirm your own outcome: that takes a second person.",
    ),
    "review_twice": ("U heeft deze uitkomst al bevestigd.", "You have confirmed this outcome already."),
    "feedback_not_found": (
        "Deze terugkoppeling bestaat niet of is niet voor u zichtbaar.",
        "This feedback does not exist or is not visible to you.",
    ),
    "form_has_errors": ("Het formulier bevat fouten:", "The form has errors:"),
    # Regional picture
    "region_title": ("Regionaal beeld {region}", "Regional picture {region}"),
    "region_intro": (
        "Per gemeente en sector: het aantal signalen (kansklasse {band}, kans vanaf {threshold}) op het aantal "
        "bedrijven, afgerond op {base}. Cellen met minder dan {min} bedrijven zijn onderdrukt. Aantallen van minder "
        "dan {min} signalen of niet-signalen (nul uitgezonderd) zijn afgeschermd, en per rij en kolom nog een cel "
        "waar er anders één alleen zou staan: zo wijst het beeld niet naar afzonderlijke bedrijven, ook niet door "
        "af te trekken.",
        "Per municipality and sector: the number of signals (band {band}, probability from {threshold}) out of the "
        "number of companies, rounded to {base}. Cells with fewer than {min} companies are suppressed. Counts of "
        "fewer than {min} signals or non-signals (zero aside) are withheld, and per row and column one more cell "
        "where one would otherwise stand alone: so the picture never points at single businesses, not even by "
        "subtraction.",
    ),
    "signal_band": ("Kansklasse", "Probability band"),
    "withheld_of": ("afgeschermd van {n}", "withheld of {n}"),
    "withheld_cell": (
        "het aantal signalen is afgeschermd, zodat het niet naar enkele bedrijven wijst",
        "the number of signals is withheld, so that it does not point at a few companies",
    ),
    "choose_region": ("Kies een regio", "Choose a region"),
    "show": ("Toon", "Show"),
    "suppressed": ("onderdrukt", "suppressed"),
    "suppressed_cell": ("minder dan {min} bedrijven", "fewer than {min} companies"),
    "no_companies": ("geen bedrijven", "no companies"),
    "signals_of": ("{k} van {n}", "{k} of {n}"),
    "heat_legend": ("Legenda: aandeel signalen", "Legend: share of signals"),
    "region_empty": (
        "Er zijn geen gescoorde bedrijven in deze regio in de huidige batch.",
        "There are no scored companies in this region in the current batch.",
    ),
    "region_caption": (
        "Signalen per gemeente (rijen) en sector (kolommen).",
        "Signals per municipality (rows) and sector (columns).",
    ),
    # Fairness
    "fairness_title": ("Eerlijkheid van de shortlist", "Fairness of the shortlist"),
    "fairness_passed": ("GESLAAGD", "PASSED"),
    "fairness_failed": ("NIET GESLAAGD", "FAILED"),
    "fairness_verdict_passed": (
        "Geen groep van een gevoelig kenmerk wordt op een hoofdmaat oneerlijk behandeld.",
        "No group of a sensitive attribute is treated unfairly on a headline measure.",
    ),
    "fairness_verdict_failed": (
        "Op {n} punt(en) wordt een groep van een gevoelig kenmerk oneerlijk behandeld.",
        "On {n} point(s) a group of a sensitive attribute is treated unfairly.",
    ),
    "fairness_how": (
        "Hoe te lezen: per groep de verhouding tot de referentiegroep (1 is gelijk), met het {conf}-"
        "betrouwbaarheidsinterval. Tussen {lo} en {hi} (groen gebied) geldt als eerlijk. Een groep valt af als het "
        "hele interval buiten dat gebied ligt; reikt het interval tot in het gebied, dan is het oordeel onzeker.",
        "How to read: per group the ratio to the reference group (1 is equal), with the {conf} confidence interval. "
        "Between {lo} and {hi} (green area) counts as fair. A group fails when its whole interval lies outside that "
        "area; when the interval reaches into it, the verdict is inconclusive.",
    ),
    "fairness_decision": (
        "Beoordeelde beslissing: op de shortlist komen ({rule}). {rows} bedrijven, {selected} geselecteerd.",
        "Decision audited: being placed on the shortlist ({rule}). {rows} companies, {selected} selected.",
    ),
    "failed_groups": ("Groepen die afvielen", "Groups that failed"),
    "none_failed": ("Geen.", "None."),
    "failure_line": (
        "{attribute} = {group}, {measure}: {ratio} keer de referentiegroep ({reference}), interval {lo} tot {hi}.",
        "{attribute} = {group}, {measure}: {ratio} times the reference group ({reference}), interval {lo} to {hi}.",
    ),
    "what": ("Wat is het?", "What is it?"),
    "when": ("Wanneer doet het ertoe?", "When does it matter?"),
    "disparity": ("Verhouding", "Disparity"),
    "interval": ("Interval", "Interval"),
    "verdict": ("Oordeel", "Verdict"),
    "group": ("Groep", "Group"),
    "companies": ("Bedrijven", "Companies"),
    "reference_group": ("referentie", "reference"),
    "bars_alt": (
        "{measure} per groep van {attribute}: verhouding tot de referentiegroep met interval. Buiten de marge: "
        "{outside}.",
        "{measure} per group of {attribute}: ratio to the reference group with interval. Outside the band: {outside}.",
    ),
    "full_report": ("Volledig rapport (met methode en alle tabellen)", "Full report (with method and all tables)"),
    "fairness_missing": (
        "Bij de huidige scorebatch is geen eerlijkheidsaudit opgeslagen. Draai tegenkracht audit en laad de "
        "scores opnieuw.",
        "No fairness audit is stored with the current score batch. Run tegenkracht audit and load the scores again.",
    ),
    "labels_note": (
        "Deze cijfers meten tegen labels uit eerdere handhaving; die koos zelf wie werd onderzocht.",
        "These figures measure against labels from past enforcement, which itself chose whom to investigate.",
    ),
    # Drift
    "drift_title": ("Drift per indicator", "Drift per indicator"),
    "drift_intro": (
        "Hoe ver de huidige gegevens afwijken van de referentie (de trainingsperiode). PSI vanaf {watch} betekent "
        "opletten, vanaf {act} ingrijpen.",
        "How far the current data differ from the reference (the training period). PSI from {watch} means watch, "
        "from {act} act.",
    ),
    "drift_missing": (
        "Bij de huidige scorebatch is geen driftrapport opgeslagen. Draai tegenkracht monitor en laad de scores "
        "opnieuw.",
        "No drift report is stored with the current score batch. Run tegenkracht monitor and load the scores again.",
    ),
    "status": ("Status", "Status"),
    "status_stable": ("stabiel", "stable"),
    "status_insufficient": ("onvoldoende gegevens", "insufficient data"),
    "status_watch": ("opletten", "watch"),
    "status_act": ("ingrijpen", "act"),
    "psi": ("PSI", "PSI"),
    "ks": ("KS", "KS"),
    "missing_share": ("Ontbrekend (ref. → nu)", "Missing (ref. → now)"),
    "drift_overall": ("Algemeen oordeel: {status}", "Overall: {status}"),
    "score_drift": ("Drift van de score", "Score drift"),
    "explanation_drift": ("Drift van de uitleg", "Explanation drift"),
    "drift_full": ("Volledig driftrapport", "Full drift report"),
    "reference_period": ("Referentie", "Reference"),
    "current_period": ("Huidig", "Current"),
    # Audit trail
    "audit_title": ("Auditspoor", "Audit trail"),
    "audit_intro": (
        "Elke opvraging, ook geweigerde, met wie, waarom en hoeveel bedrijven; welke bedrijven, alleen per record "
        "met een doel en zaak van uzelf. De records zijn met hashes aan elkaar gekoppeld; een wijziging, invoeging "
        "of verwijdering breekt de keten.",
        "Every request, refused ones included, with who, why and how many companies; which companies only per "
        "record, for a purpose and case of your own. The records are chained by hashes; an edit, insertion or "
        "deletion breaks the chain.",
    ),
    "chain_ok": ("Keten intact: {n} records gecontroleerd.", "Chain intact: {n} records checked."),
    "chain_broken": ("KETEN GEBROKEN bij record {seq}: {reason}", "CHAIN BROKEN at record {seq}: {reason}"),
    "checked_at": ("(gecontroleerd om {at} UTC)", "(checked at {at} UTC)"),
    "verify_now": ("Nu opnieuw controleren", "Check again now"),
    "filter": ("Filter", "Filter"),
    "user": ("Gebruiker", "User"),
    "endpoint": ("Eindpunt", "Endpoint"),
    "apply_filter": ("Filter toepassen", "Apply filter"),
    "clear_filter": ("Wis filter", "Clear filter"),
    "seq": ("Nr.", "No."),
    "at": ("Tijd (UTC)", "Time (UTC)"),
    "role": ("Rol", "Role"),
    "request": ("Verzoek", "Request"),
    "entities": ("Bedrijven", "Companies"),
    "http_status": ("HTTP", "HTTP"),
    "audit_empty": ("Geen records gevonden.", "No records found."),
    "page_of": ("Pagina {page} van {pages} ({total} records)", "Page {page} of {pages} ({total} records)"),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "pagination": ("Paginering", "Pagination"),
    "company_filter_case": (
        "Doel en zaak (nodig bij een KvK-nummer)",
        "Purpose and case (needed with a KvK number)",
    ),
    "oversight_purpose": ("Doel van het toezicht", "Oversight purpose"),
    "oversight_purpose_hint": (
        "Waarom u wilt weten welke bedrijven in het spoor staan; dat komt zelf in het spoor.",
        "Why you ask which companies are in the trail; that goes into the trail itself.",
    ),
    "oversight_case": ("Zaaknummer toezicht", "Oversight case reference"),
    "opurpose_use_review": ("Toetsing van het gebruik", "Review of use"),
    "opurpose_complaint": ("Klachtbehandeling", "Complaint handling"),
    "opurpose_dpo_inquiry": ("Onderzoek door de FG", "Inquiry by the DPO"),
    "opurpose_incident": ("Onderzoek van een (mogelijk) datalek", "Investigation of a (suspected) data breach"),
    "entities_link_label": (
        "{n} bedrijf/bedrijven van record {seq}: opvragen met doel en zaak",
        "{n} company/companies of record {seq}: ask with purpose and case",
    ),
    "entities_title": ("Bedrijven in record {seq}", "Companies in record {seq}"),
    "entities_intro": (
        "Welke bedrijven een record noemt, is zelf bedrijfsinformatie. Geef het doel en het zaaknummer waarvoor u "
        "het vraagt; deze opvraging komt met de bedrijven in het auditspoor.",
        "Which companies a record names is company data itself. Give the purpose and case reference you ask for "
        "it; this look-up goes into the audit trail with the companies.",
    ),
    "entities_show": ("Toon de bedrijven", "Show the companies"),
    "entities_of": ("Verzoek {endpoint} van {user} op {at} UTC.", "Request {endpoint} by {user} at {at} UTC."),
    "entities_returned": ("Beantwoord met", "Answered with"),
    "entities_requested": ("Gevraagd naar", "Asked for"),
    "entities_recorded": (
        "Deze opvraging is vastgelegd in het auditspoor, met uw doel, zaak en deze bedrijven.",
        "This look-up is recorded in the audit trail, with your purpose, case and these companies.",
    ),
    "back_to_audit": ("Terug naar het auditspoor", "Back to the audit trail"),
    "record_not_found": ("Record {seq} bestaat niet.", "Record {seq} does not exist."),
    # Model card
    "model_title": ("Modelkaart", "Model card"),
    "model_missing": (
        "Er is geen model geladen. Promoveer een kampioen en herlaad de dienst.",
        "No model is loaded. Promote a champion and reload the service.",
    ),
    "intended_use": ("Beoogd gebruik", "Intended use"),
    "limitations": ("Beperkingen", "Limitations"),
    "training_window": ("Trainingsperiode", "Training window"),
    "metrics": ("Prestaties", "Metrics"),
    "fairness_summary": ("Eerlijkheid", "Fairness"),
    "features": ("Indicatoren", "Indicators"),
    "registered_at": ("Geregistreerd", "Registered"),
    "name": ("Naam", "Name"),
    "key": ("Sleutel", "Key"),
    "documents": ("Documenten om te publiceren", "Documents to publish"),
    "documents_intro": (
        "Gegenereerd uit het modelregister. Velden gemarkeerd met [IN TE VULLEN DOOR DE GEBRUIKENDE ORGANISATIE] "
        "vult uw organisatie zelf in.",
        "Generated from the model registry. Fields marked [TO BE COMPLETED BY THE DEPLOYER] are for your "
        "organisation to fill in.",
    ),
    "doc_model-card": ("Modelkaart", "Model card"),
    "doc_algoritmeregister": ("Algoritmeregister-invoer", "Algoritmeregister entry"),
    "doc_technical-documentation": (
        "Technische documentatie (AI-verordening, bijlage IV, Engels)",
        "Technical documentation (AI Act, Annex IV)",
    ),
    "to_complete": ("nog in te vullen", "still to complete"),
    "documents_missing": (
        "Voor deze versie konden geen transparantiedocumenten worden gemaakt; zie het logboek van de dienst.",
        "No transparency documents could be made for this version; see the service log.",
    ),
    # Users
    "users_title": ("Gebruikers", "Users"),
    "regions": ("Regio's", "Regions"),
    "enabled": ("Actief", "Enabled"),
    "live_keys": ("Geldige sleutels", "Live keys"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    # Errors
    "error_title": ("Er ging iets mis", "Something went wrong"),
    "error_400": ("Dit verzoek kan niet worden verwerkt.", "This request cannot be processed."),
    "error_403": ("U heeft geen toegang tot deze pagina met uw rol.", "Your role gives no access to this page."),
    "error_404": (
        "Deze pagina bestaat niet of is niet voor u zichtbaar.",
        "This page does not exist or is not visible to you.",
    ),
    "error_405": ("Deze handeling is hier niet mogelijk.", "This action is not possible here."),
    "error_413": ("Het formulier is te groot.", "The form is too large."),
    "error_422": ("Het verzoek bevat ongeldige gegevens.", "The request holds invalid data."),
    "error_429": (
        "Te veel verzoeken. Wacht een minuut en probeer het opnieuw.",
        "Too many requests. Wait a minute and try again.",
    ),
    "error_500": (
        "Er ging iets mis in de dienst. Het is vastgelegd; probeer het later opnieuw.",
        "Something went wrong inside the service. It has been logged; please try again later.",
    ),
    "error_503": ("De dienst kan dit nu niet leveren.", "The service cannot provide this right now."),
    "no_batch": (
        "Er zijn nog geen scores geladen. Een beheerder laadt ze met tegenkracht score --load.",
        "No scores are loaded yet. An administrator loads them with tegenkracht score --load.",
    ),
    "csrf_failed": (
        "Het formulier was verlopen of kwam niet van deze site. Probeer het opnieuw.",
        "The form had expired or did not come from this site. Please try again.",
    ),
    # Following (history, change, watches, alerts)
    "nav_alerts": ("Meldingen", "Alerts"),
    "nav_watches": ("Gevolgde bedrijven", "Followed companies"),
    "history_title": ("Verloop over de peildata", "Over the as-of dates"),
    "history_caption": ("Het signaal in elke bewaarde scorebatch", "The signal in every score batch kept"),
    "history_chart_title": ("Kans per peildatum", "Probability per as-of date"),
    "history_chart_desc": (
        "Kans van {first} op {start} tot {last} op {end}, over {n} peildata; de stippellijnen zijn de klassen.",
        "Probability from {first} on {start} to {last} on {end}, over {n} as-of dates; dashed lines are the bands.",
    ),
    "change_link": (
        "Waarom veranderde dit sinds de vorige peildatum?",
        "Why did this change since the last as-of date?",
    ),
    "change_title": ("Verandering sinds de vorige peildatum", "Change since the last as-of date"),
    "change_none": (
        "Er is geen eerdere scorebatch om mee te vergelijken.",
        "There is no earlier score batch to compare with.",
    ),
    "change_between": (
        "Peildatum {before} (model v{v_before}) tegenover {now} (model v{v_now}).",
        "As of {before} (model v{v_before}) against {now} (model v{v_now}).",
    ),
    "change_probability": ("Kans toen {before}, nu {now}.", "Probability then {before}, now {now}."),
    "change_not_split": ("De verandering is niet uitgesplitst: {why}.", "The change is not split: {why}."),
    "change_intro": (
        "De verandering in score (log-odds) valt exact uiteen in veranderde feiten (het oude model op de oude en de "
        "nieuwe feiten) en een veranderd model (het nieuwe tegenover het oude model, beide op de nieuwe feiten).",
        "The change in score (log-odds) splits exactly into changed facts (the old model on the old and the new "
        "facts) and a changed model (the new against the old model, both on the new facts).",
    ),
    "change_parts": ("De twee delen tellen exact op", "The two parts add up exactly"),
    "change_part": ("Deel", "Part"),
    "change_logodds": ("Bijdrage (log-odds)", "Contribution (log-odds)"),
    "change_data_part": ("Veranderde feiten", "Changed facts"),
    "change_model_part": ("Veranderd model", "Changed model"),
    "change_total": ("Verandering in score", "Change in score"),
    "change_data_title": ("Welke feiten veranderden", "Which facts changed"),
    "change_no_data": ("Geen van de feiten veranderde.", "None of the facts changed."),
    "change_more": ("En {n} kleinere veranderingen.", "And {n} smaller changes."),
    "change_model_title": ("Wat het nieuwe model anders weegt", "What the new model weighs differently"),
    "change_model_caption": ("Per indicator: nieuw model min oud model", "Per indicator: new model minus old model"),
    "change_base": ("Verschuiving van het uitgangspunt", "Shift of the base value"),
    "change_same_model": (
        "Beide peildata zijn door hetzelfde model gescoord.",
        "Both as-of dates were scored by the same model.",
    ),
    "watch_follow": ("Volg dit bedrijf ({days} dagen)", "Follow this company ({days} days)"),
    "watch_open": (
        "U volgt dit bedrijf tot {until} (zaak {case}).",
        "You follow this company until {until} (case {case}).",
    ),
    "watch_renew": ("Verlengen", "Renew"),
    "watch_end": ("Niet meer volgen", "Stop following"),
    "watch_refused": ("Dit kan niet met deze volgopdracht.", "This cannot be done with this watch."),
    "watch_case": ("Doel en zaak", "Purpose and case"),
    "watch_expires": ("Verloopt", "Expires"),
    "watch_state": ("Stand", "State"),
    "watch_state_open": ("loopt", "open"),
    "watch_state_expired": ("verlopen", "expired"),
    "watch_state_ended": ("beëindigd", "ended"),
    "watch_renewals": ("{n} keer verlengd", "renewed {n} times"),
    "watches_title": ("Gevolgde bedrijven", "Followed companies"),
    "watches_intro": (
        "Een bedrijf volgen kan voor ten hoogste {days} dagen en wordt bewust verlengd. Meldingen over wezenlijke "
        "veranderingen komen in uw meldingen.",
        "A company is followed for at most {days} days and renewed on purpose. Alerts on material changes arrive "
        "in your alerts.",
    ),
    "watches_caption": ("{n} volgopdrachten", "{n} watches"),
    "watches_none": ("U volgt geen bedrijven.", "You follow no companies."),
    "alerts_title": ("Meldingen", "Alerts"),
    "alerts_intro": (
        "Wezenlijke veranderingen bij bedrijven die u volgt, gevonden bij het laden van een nieuwe scorebatch. Een "
        "regel meldt opnieuw alleen bij nieuw, hoger risico.",
        "Material changes of companies you follow, found when a new score batch was loaded. A rule alerts again "
        "only on new, higher risk.",
    ),
    "alerts_caption": ("{n} open meldingen", "{n} open alerts"),
    "alerts_none": ("Geen open meldingen.", "No open alerts."),
    "alert_rule": ("Wat veranderde", "What changed"),
    "alert_facts": ("Toen → nu", "Then → now"),
    "alert_outcome": ("Uitkomst", "Outcome"),
    "alert_outcome_not_material": ("niet wezenlijk", "not material"),
    "alert_outcome_reviewed": ("bekeken", "reviewed"),
    "alert_outcome_case_opened": ("zaak geopend", "case opened"),
    "alert_acknowledge": ("Afhandelen", "Acknowledge"),
    "alert_saved": ("De melding is afgehandeld.", "The alert was acknowledged."),
    "alert_refused": (
        "Deze melding kan niet (meer) worden afgehandeld.",
        "This alert cannot be acknowledged (any more).",
    ),
    "nav_oversight_watches": ("Volgopdrachten", "Watches"),
    "oversight_watches_title": ("Volgopdrachten van analisten", "Analysts' watches"),
    "oversight_watches_intro": (
        "Wie volgt hoeveel bedrijven, voor welk doel en welke zaak; een volgopdracht duurt ten hoogste {days} dagen. "
        "Welke bedrijven het zijn, geeft de API alleen met een eigen doel en zaaknummer van het toezicht.",
        "Who follows how many companies, for which purpose and case; a watch lasts at most {days} days. Which "
        "companies they are, the API gives only with oversight's own purpose and case reference.",
    ),
    "oversight_watches_users": ("Gevolgde bedrijven per gebruiker", "Companies followed per user"),
    "oversight_following": ("Volgt nu", "Following now"),
    "oversight_watches_none": ("Niemand volgt nu een bedrijf.", "Nobody follows a company now."),
    "oversight_watches_caption": (
        "{n} volgopdrachten, ook verlopen en beëindigde",
        "{n} watches, expired and ended ones too",
    ),
    "signals_before": ("eerder {k}", "before {k}"),
    "region_change_note": (
        "Onder elke cel staat het aantal signalen in de vorige scorebatch, alleen waar de cel in beide batches "
        "getoond wordt; dezelfde afronding en onderdrukking gelden.",
        "Under each cell is the number of signals in the previous score batch, only where the cell is shown in "
        "both batches; the same rounding and suppression apply.",
    ),
    "alert_fact_band": ("Kansklasse", "Probability band"),
    "alert_fact_probability": ("Kans", "Probability"),
    "alert_fact_rank": ("Rang in de regio", "Rank in the region"),
    "error_back": ("Naar de startpagina", "To the home page"),
    "not_your_region": ("Deze regio is niet een van de uwe.", "This region is not one of yours."),
    "invalid_value": ("Ongeldige waarde.", "Invalid value."),
    "required": ("Verplicht.", "Required."),
}


#: One text in one language, with its blanks filled: ``t("sign_out", "en")``.
t = Words(TEXT)


def lang_of(request: Request) -> Lang:
    """The page language: the visitor's choice (a cookie), Dutch otherwise."""
    return "en" if request.cookies.get(COOKIE) == "en" else "nl"


def signed(value: float, lang: Lang, digits: int = 2) -> str:
    """A contribution with its sign (+0,42 / −0,13); one too small to show at ``digits`` reads "≈ 0", not "+0,00"."""
    if abs(value) < 0.5 * 10**-digits:
        return "≈ 0"
    return ("+" if value > 0 else "−") + number(abs(value), lang, digits)
