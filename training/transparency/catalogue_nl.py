"""Dutch wording of the indicator catalogue, for the Dutch model card.

The catalogue (:mod:`features.catalogue`) is English and hashed: its hash binds a model to the indicators it was
trained on, so a translation there would look like a new catalogue to every registered version. The Dutch text
lives here instead, keyed by indicator id and source key; a test fails when an indicator or source lacks it.
Each entry is (description, rationale).
"""

from __future__ import annotations

INDICATORS: dict[str, tuple[str, str]] = {
    "years_since_registration": (
        "Jaren sinds de inschrijving.",
        "Lege vennootschappen en doorstarters zijn jong; de meeste eerlijke bedrijven ook, dus dit is eerder context "
        "dan bewijs.",
    ),
    "legal_entity": (
        "1 voor een BV, NV of coöperatie (beperkte aansprakelijkheid), anders 0.",
        "Beperkte aansprakelijkheid maakt gelaagde structuren en katvangers als bestuurder mogelijk.",
    ),
    "sector_cash_intensive": (
        "1 als de hoofdactiviteit (SBI) een van de kasintensieve sectoren met lage toetredingsdrempel van het RIEC is.",
        "In kasintensieve branches met lage drempels wordt crimineel contant geld met omzet vermengd.",
    ),
    "employees_latest": (
        "Werkzame personen volgens de laatste jaarrekening die op de peildatum bekend was; onbekend zonder "
        "jaarrekening.",
        "Context voor omzet per werknemer; dekmantelbedrijven tonen omzet zonder personeel.",
    ),
    "companies_at_address": (
        "Actieve bedrijven die op de peildatum op hetzelfde adres staan ingeschreven, dit bedrijf meegeteld.",
        "Lege vennootschappen clusteren bij domicilieverleners.",
    ),
    "domicile_address": (
        "1 als het vestigingsadres een domicilie- of flexadres is; onbekend als de bron het niet zegt.",
        "Op domicilieadressen staan de meeste lege vennootschappen, maar ook veel eerlijke starters en buitenlandse "
        "dochters.",
    ),
    "address_turnover_3y": (
        "Andere bedrijven die zich in de drie jaar voor de peildatum op het adres inschreven of er vertrokken.",
        "Snel verloop van bedrijven op één adres wijst op een fabriek van lege vennootschappen.",
    ),
    "director_changes_3y": (
        "Benoemingen van bestuurders in de drie jaar voor de peildatum, de oprichtende bestuurder niet meegeteld.",
        "Vaak wisselende bestuurders verhullen wie een bedrijf werkelijk leidt.",
    ),
    "max_concurrent_mandates": (
        "Het grootste aantal bestuursfuncties dat een zittende bestuurder op de peildatum tegelijk heeft.",
        "Katvangers hebben veel bestuursfuncties tegelijk.",
    ),
    "officer_sector_spread": (
        "Het grootste aantal verschillende SBI-secties onder de huidige functies van een zittende bestuurder.",
        "Katvangers zitten in ongerelateerde branches; eerlijke serie-ondernemers blijven meestal in één.",
    ),
    "officer_prior_insolvencies": (
        "Andere bedrijven die voor de peildatum failliet gingen terwijl een huidige bestuurder van dit bedrijf daar "
        "bestuurder was (of minder dan een jaar eerder vertrok).",
        "Wat Justis RADAR bij elke wijziging in het register controleert.",
    ),
    "new_officer_with_insolvency_1y": (
        "1 als een bestuurder die in het jaar voor de peildatum werd benoemd, eerder bestuurder was van een bedrijf "
        "dat voor die benoeming failliet ging.",
        "De kerncontrole van RADAR bij een registerwijziging.",
    ),
    "phoenix_same_sector": (
        "1 als een huidige bestuurder een bedrijf met dezelfde SBI-code leidde dat failliet ging tussen twee jaar "
        "voor en een jaar na de oprichting van dit bedrijf.",
        "Doorstart: schulden blijven achter, dezelfde mensen zetten het bedrijf voort.",
    ),
    "phoenix_same_address": (
        "1 als een ander bedrijf op dit adres failliet ging tussen twee jaar voor en een jaar na de oprichting van "
        "dit bedrijf.",
        "Een doorstart houdt vaak hetzelfde pand.",
    ),
    "proxy_holder_present": (
        "1 als op de peildatum een gevolmachtigde is ingeschreven.",
        "Verborgen opdrachtgevers handelen via gevolmachtigden terwijl een katvanger bestuurder is.",
    ),
    "foreign_owner": (
        "1 als een directe eigenaar op de peildatum in het buitenland zit (een buitenlandse rechtspersoon of een "
        "persoon die in het buitenland woont).",
        "Buitenlandse eigenaren en financiers verhullen de herkomst van geld; de meeste zijn eerlijke moederbedrijven.",
    ),
    "high_risk_jurisdiction_owner": (
        "1 als een eigenaar hogerop in de eigendomsketen (tot vijf lagen) in een hoog-risicoland zit.",
        "Offshore eigenaren verhullen wie de uiteindelijk belanghebbende is.",
    ),
    "ownership_layers": (
        "Aantal bedrijfslagen boven dit bedrijf in de eigendomsketen op de peildatum (hoogstens vijf); onbekend voor "
        "rechtsvormen zonder aandelen.",
        "Ondoorzichtige lagen verbergen de uiteindelijk belanghebbende.",
    ),
    "stichting_in_chain": (
        "1 als een stichting dit bedrijf bezit, direct of hogerop in de keten.",
        "Een stichting heeft geen aandeelhouders; de keten naar een uiteindelijk belanghebbende breekt daar af.",
    ),
    "owner_changes_3y": (
        "Eigendomsperiodes die in de drie jaar voor de peildatum begonnen, na de maand van oprichting.",
        "Vaak wisselende aandeelhouders verhullen zeggenschap.",
    ),
    "revenue_per_employee_z": (
        "Robuuste z-score van de log-omzet per werknemer tegenover branchegenoten (SBI-sectie × grootteklasse).",
        "Omzet die niet past bij personeel en branchegenoten is hoe dekmantels witwassen.",
    ),
    "revenue_growth_z": (
        "Robuuste z-score van de log-verandering in omzet tussen de twee laatst bekende boekjaren, tegenover "
        "branchegenoten.",
        "Onverklaarde omzetstijgingen waren de aanleiding voor de Amsterdamse screening van winkels.",
    ),
    "margin_z": (
        "Robuuste z-score van winst gedeeld door omzet in de laatst bekende jaarrekening, tegenover branchegenoten.",
        "Witgewassen omzet komt zonder bijpassende kosten.",
    ),
    "related_party_loans_z": (
        "Robuuste z-score van leningen van verbonden partijen als deel van de schulden, tegenover branchegenoten.",
        "Kapitaal van onbekende of verbonden financiers is waar het Bibob-formulier naar vraagt.",
    ),
    "negative_equity_active": (
        "1 als de laatst bekende jaarrekening een negatief eigen vermogen toont; onbekend zonder jaarrekening.",
        "Doorgaan met negatief eigen vermogen gaat vooraf aan de faillissementen die doorstarters achterlaten.",
    ),
    "cash_deposit_share_z": (
        "Robuuste z-score van contante stortingen als deel van het ontvangen geld over de laatste vier volle "
        "kwartalen, tegenover branchegenoten.",
        "Contante stortingen boven wat de branche normaal ontvangt.",
    ),
    "transfers_to_revenue_z": (
        "Robuuste z-score van de log van (overboekingen in + uit over de laatste vier volle kwartalen) gedeeld door de "
        "laatste omzet, tegenover branchegenoten.",
        "Geld dat door een bedrijf met weinig ingeschreven activiteit stroomt.",
    ),
    "foreign_high_risk_share": (
        "Overboekingen van en naar hoog-risicolanden als deel van alle overboekingen over de laatste vier volle "
        "kwartalen.",
        "Betalingen van en naar hoog-risicolanden.",
    ),
    "last_filing_missing": (
        "1 als het laatste boekjaar waarvan de termijn voor de peildatum verliep, niet is gedeponeerd; onbekend "
        "als er nog niets verschuldigd was.",
        "Late of ontbrekende jaarrekeningen; zwak bewijs.",
    ),
    "last_filing_days_late": (
        "Dagen tussen de termijn en de deponering van het laatste boekjaar dat op de peildatum gedeponeerd was (0 als "
        "het op tijd was); onbekend zonder deponering.",
        "Te laat deponeren; zwak bewijs.",
    ),
    "filings_missing_share_5y": (
        "Deel van de laatste vijf verschuldigde boekjaren, zolang het bedrijf bestond, zonder deponering.",
        "Een gewoonte van niet deponeren; zwak bewijs.",
    ),
    "properties_held": (
        "Panden in eigendom op de peildatum.",
        "Context voor de indicatoren over aankopen.",
    ),
    "purchases_without_mortgage_5y": (
        "Aankopen in de vijf jaar voor de peildatum zonder ingeschreven hypotheek.",
        "Vastgoed kopen zonder hypotheek kan crimineel geld plaatsen.",
    ),
    "unmortgaged_purchases_to_assets": (
        "Koopsom van aankopen zonder hypotheek in de laatste vijf jaar gedeeld door het totaal vermogen in de "
        "laatste jaarrekening; onbekend zonder jaarrekening.",
        "Kopen boven wat de balans van de koper kan verklaren.",
    ),
    "quick_resales_5y": (
        "Doorverkopen in de laatste vijf jaar binnen een jaar na aankoop voor meer dan 20% boven de koopsom.",
        "ABC-transacties drijven vastgoedwaarden op om geld wit te wassen.",
    ),
    "linked_confirmed_1hop": (
        "Andere bedrijven met een bevestigde zaak, gesloten voor de peildatum, die een huidige of recente "
        "bestuurder, adres of eigenaar met dit bedrijf delen.",
        "Criminele netwerken gebruiken mensen, adressen en eigenaren opnieuw.",
    ),
    "linked_confirmed_2hop": (
        "Bedrijven met een bevestigde zaak die in precies twee stappen via bedrijven worden bereikt; knooppunten met "
        "meer dan 50 bedrijven (grote domicilieverleners) worden niet doorlopen.",
        "Netwerktekeningen reiken verder dan directe verbanden.",
    ),
    "ppr_confirmed": (
        "Gepersonaliseerde PageRank vanuit bedrijven met een bevestigde zaak over de graaf van bedrijven, personen, "
        "adressen en eigenaren, maal het aantal bedrijven (1 = gemiddeld); een bedrijf met een eigen bevestigde zaak "
        "scoort 0, zodat zijn eigen zaak nooit meetelt.",
        "Nabijheid tot bevestigde zaken langs alle paden, gewogen naar hoe exclusief de verbanden zijn.",
    ),
    "linked_confirmed_people": (
        "Andere bedrijven met een bevestigde zaak, afgesloten vóór de peildatum, die een huidige of recente "
        "functionaris of eigenaar met dit bedrijf delen (het vestigingsadres telt hier niet).",
        "Een gedeelde bestuurder of eigenaar is een keuze; een gedeeld adres is vaak alleen een gebouw. Netwerken "
        "hergebruiken katvangers en houdstermaatschappijen.",
    ),
    "linked_companies": (
        "Andere bedrijven die een huidige of recente functionaris of eigenaar met dit bedrijf delen, via personen "
        "en eigenaren met hoogstens 50 bedrijven.",
        "Katvangers, verborgen leidinggevenden en lege houdstermaatschappijen verbinden de bedrijven van een netwerk, "
        "of er nu ooit een onderzoek naar was of niet.",
    ),
    "linked_domicile_companies": (
        "Van de verbonden bedrijven: die op een domicilie- of flexadres staan ingeschreven.",
        "Lege vennootschappen van een netwerk clusteren bij domicilieverleners; een bedrijf dat via zijn personen of "
        "eigenaren aan meerdere daarvan vastzit, hoort bij zo'n structuur.",
    ),
    "linked_insolvent_3y": (
        "Van de verbonden bedrijven: die in de drie jaar vóór de peildatum failliet zijn verklaard.",
        "Lege vennootschappen en doorstartvehikels worden opgebruikt en failliet gelaten; RADAR controleert "
        "faillissementen van functionarissen om dezelfde reden.",
    ),
    "linked_young_companies": (
        "Van de verbonden bedrijven: die in de drie jaar vóór de peildatum zijn opgericht.",
        "Een persoon of eigenaar die steeds nieuwe bedrijven opricht, is hoe dekmantels en lege vennootschappen "
        "worden aangevoerd.",
    ),
    "cash_to_assets": (
        "Kas in de laatst gedeponeerde balans gedeeld door het balanstotaal.",
        "Kasintensieve dekmantels houden contant geld aan dat hun handel niet verklaart; de jaarrekening toont het "
        "jaren voordat bankgegevens worden opgevraagd.",
    ),
    "revenue_shift_3y": (
        "Natuurlijke logaritme van de gemiddelde omzet over de laatste twee gedeponeerde boekjaren tegenover het "
        "gemiddelde over de drie boekjaren daarvoor; onbekend als een van beide perioden geen jaarrekening heeft.",
        "Een winkel die wordt overgenomen en gebruikt om wit te wassen, houdt een hogere omzet; groei in één jaar "
        "ziet de sprong één keer, een vergelijking van perioden blijft hem zien.",
    ),
}

SOURCES: dict[str, str] = {
    "NSOC2024": "NSOC (2024), risicovolle adressen: ~220 adressen, ~1.300 bedrijven, ~€9,8 mld aan verdachte "
    "transacties",
    "FATF2018": "FATF/Egmont Group (2018), Concealment of Beneficial Ownership",
    "RADAR": "Justis RADAR (sinds 2011): automatische controle van nieuwe functionarissen op faillissementen en "
    "antecedenten",
    "RIEC2021": "RIEC Rotterdam (2021), sectorcriteria voor kasintensieve branches met lage toetredingsdrempel",
    "FIOD2017": "FIOD (2017) over kappers en telefoonwinkels zonder klanten",
    "AMS": "Gemeente Amsterdam, screening van ~200 winkels op onverklaarde omzetstijgingen",
    "BIBOB": "Wet Bibob-vragenlijsten: wie levert het kapitaal en wie heeft zeggenschap",
    "CBS2015": "CBS / Zicht op Ondermijning: ~10.600 vastgoedaankopen zonder hypotheek in 2015",
    "AMLC": "AMLC-typologieën: witwassen via vastgoed, offshore eigenaren, ABC-transacties",
    "NONE": "Geen Nederlandse bron gevonden; genoemd door de FATF. Geldt als zwak bewijs",
    "QUANTEXA": "Netwerkcontext-scoring (praktijk van Quantexa/Palantir); netwerktekeningen van RADAR",
}
