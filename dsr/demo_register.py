"""The demo processing register, from the privacy notices in shared/seeds (Open Telekom Cloud /
TelekomCLOUD, T-Systems International GmbH). Loaded by ``load_demo``; safe to load again."""

from typing import Any

from django.db import transaction

from dsr.models import OtherController, ProcessingActivity, Recipient

RECIPIENTS: list[dict[str, Any]] = [
    {
        "name": "Salesforce, Inc.",
        "role": "processor",
        "address": "Salesforce Tower, 415 Mission Street, San Francisco, CA 94105, USA",
        "country": "US",
        "safeguard": "bcr",
        "safeguard_detail": "Salesforce's binding corporate rules for processors; the customer "
        "data is stored encrypted and is not accessible to Salesforce (Service Cloud hosted in "
        "Europe).",
        "translations": {
            "de": {
                "safeguard_detail": "Verbindliche interne Datenschutzvorschriften von Salesforce "
                "für Auftragsverarbeiter; die Kundendaten werden verschlüsselt gespeichert und "
                "sind für Salesforce nicht zugänglich (Service Cloud mit Hosting in Europa).",
            },
            "nl": {
                "safeguard_detail": "De bindende bedrijfsvoorschriften van Salesforce voor "
                "verwerkers; de klantgegevens worden versleuteld opgeslagen en zijn niet "
                "toegankelijk voor Salesforce (Service Cloud gehost in Europa).",
            },
        },
    },
    {
        "name": "Purpleview GmbH",
        "role": "processor",
        "address": "Kampstraße 6, 44137 Dortmund, Germany",
        "country": "DE",
        "safeguard": "none_needed",
    },
    {
        "name": "Risk.Ident GmbH",
        "role": "processor",
        "country": "DE",
        "safeguard": "none_needed",
    },
    {
        "name": "Stripe Payments Europe, Limited",
        "role": "processor",
        "address": "1 Grand Canal Street Lower, Grand Canal Dock, Dublin, D02 H210, Ireland",
        "country": "IE",
        "safeguard": "none_needed",
    },
]

ACTIVITIES: list[dict[str, Any]] = [
    {
        "key": "web-server-logs",
        "name": "Web server logs",
        "purpose": "Data security, in particular defending against attacks on our web server.",
        "legal_basis": "legitimate_interests",
        "legitimate_interest": "Keeping our websites secure against attacks.",
        "data_categories": "Domain name or IP address of your device, requested content, "
        "response code, time of access.",
        "retention": "Deleted after 7 days at the latest.",
        "systems": [],
        "recipients": [],
        "translations": {
            "de": {
                "data_categories": "Domainname oder IP-Adresse Ihres Geräts, abgerufene "
                "Inhalte, Antwortcode, Zeitpunkt des Zugriffs.",
                "legitimate_interest": "Schutz unserer Websites vor Angriffen.",
                "name": "Webserver-Protokolle",
                "purpose": "Datensicherheit, insbesondere die Abwehr von Angriffen auf "
                "unseren Webserver.",
                "retention": "Spätestens nach 7 Tagen gelöscht.",
            },
            "nl": {
                "data_categories": "Domeinnaam of IP-adres van uw apparaat, opgevraagde "
                "inhoud, responscode, tijdstip van toegang.",
                "legitimate_interest": "Het beveiligen van onze websites tegen aanvallen.",
                "name": "Webserverlogbestanden",
                "purpose": "Gegevensbeveiliging, in het bijzonder het afweren van aanvallen "
                "op onze webserver.",
                "retention": "Uiterlijk na 7 dagen verwijderd.",
            },
        },
    },
    {
        "key": "customer-service-chat",
        "name": "Customer service text chat",
        "purpose": "Answering your questions to customer service in the text chat.",
        "legal_basis": "contract",
        "data_categories": "Chat content; start time and duration of the chat; internal notes; "
        "customer information asked for in the chat; IP address, browser and operating system "
        "version.",
        "retention": "Chat content is deleted after 24 hours at the latest; technical data after "
        "7 days; further chat data (start time, duration, internal notes) is anonymised after "
        "28 days.",
        "systems": ["chat", "zendesk"],
        "recipients": ["Salesforce, Inc."],
        "translations": {
            "de": {
                "data_categories": "Chatinhalte; Beginn und Dauer des Chats; interne "
                "Notizen; im Chat erfragte Kundendaten; IP-Adresse, Browser- und "
                "Betriebssystemversion.",
                "name": "Text-Chat des Kundenservice",
                "purpose": "Beantwortung Ihrer Fragen an den Kundenservice im Text-Chat.",
                "retention": "Chatinhalte werden spätestens nach 24 Stunden gelöscht, "
                "technische Daten nach 7 Tagen; weitere Chatdaten (Beginn, "
                "Dauer, interne Notizen) werden nach 28 Tagen anonymisiert.",
            },
            "nl": {
                "data_categories": "Chatinhoud; begintijd en duur van de chat; interne "
                "notities; in de chat gevraagde klantgegevens; IP-adres, browser- en "
                "besturingssysteemversie.",
                "name": "Tekstchat van de klantenservice",
                "purpose": "Het beantwoorden van uw vragen aan de klantenservice in de tekstchat.",
                "retention": "Chatinhoud wordt uiterlijk na 24 uur verwijderd, technische "
                "gegevens na 7 dagen; overige chatgegevens (begin, duur, interne "
                "notities) worden na 28 dagen geanonimiseerd.",
            },
        },
    },
    {
        "key": "contract-data",
        "name": "Contract data",
        "purpose": "Concluding and fulfilling your contract for our cloud services.",
        "legal_basis": "contract",
        "data_categories": "Salutation, name, address, date of birth, telephone number, e-mail "
        "address, payment data, turnover data, the products and services you use.",
        "retention": "Deleted at the latest 90 days after the end of the contract, by deleting "
        "your user account. Invoices and booking records are kept as tax law requires.",
        "systems": ["crm", "salesforce"],
        "recipients": ["Salesforce, Inc."],
        "translations": {
            "de": {
                "data_categories": "Anrede, Name, Anschrift, Geburtsdatum, Telefonnummer, "
                "E-Mail-Adresse, Zahlungsdaten, Umsatzdaten, die von Ihnen genutzten "
                "Produkte und Dienste.",
                "name": "Vertragsdaten",
                "purpose": "Abschluss und Erfüllung Ihres Vertrags über unsere Cloud-Dienste.",
                "retention": "Spätestens 90 Tage nach Vertragsende durch Löschung Ihres "
                "Benutzerkontos gelöscht. Rechnungen und Buchungsbelege werden "
                "aufbewahrt, wie es das Steuerrecht verlangt.",
            },
            "nl": {
                "data_categories": "Aanhef, naam, adres, geboortedatum, telefoonnummer, "
                "e-mailadres, betaalgegevens, omzetgegevens, de producten en diensten die u "
                "gebruikt.",
                "name": "Contractgegevens",
                "purpose": "Het sluiten en uitvoeren van uw contract voor onze clouddiensten.",
                "retention": "Uiterlijk 90 dagen na het einde van het contract verwijderd "
                "door uw gebruikersaccount te verwijderen. Facturen en "
                "boekingsstukken worden bewaard zoals de belastingwet vereist.",
            },
        },
    },
    {
        "key": "billing",
        "name": "Usage and billing data",
        "purpose": "Providing our services properly and billing them.",
        "legal_basis": "contract",
        "data_categories": "Start and end of each use, the services used, invoices, payments.",
        "retention": "Invoices and booking records: 8 years from the end of the calendar year "
        "(§ 147 AO, § 14b UStG); then erased.",
        "systems": ["billing", "stripe"],
        "recipients": ["Stripe Payments Europe, Limited"],
        "translations": {
            "de": {
                "data_categories": "Beginn und Ende jeder Nutzung, die genutzten Dienste, "
                "Rechnungen, Zahlungen.",
                "name": "Nutzungs- und Abrechnungsdaten",
                "purpose": "Ordnungsgemäße Erbringung und Abrechnung unserer Dienste.",
                "retention": "Rechnungen und Buchungsbelege: 8 Jahre ab Ende des "
                "Kalenderjahres (§ 147 AO, § 14b UStG); danach gelöscht.",
            },
            "nl": {
                "data_categories": "Begin en einde van elk gebruik, de gebruikte diensten, "
                "facturen, betalingen.",
                "name": "Gebruiks- en factuurgegevens",
                "purpose": "Het correct leveren en factureren van onze diensten.",
                "retention": "Facturen en boekingsstukken: 8 jaar vanaf het einde van het "
                "kalenderjaar (§ 147 AO, § 14b UStG); daarna verwijderd.",
            },
        },
    },
    {
        "key": "customer-communication",
        "name": "Customer communication and e-mail marketing",
        "direct_marketing": True,
        "purpose": "Processing service requests and communicating with you by e-mail or "
        "telephone; with your consent, measuring e-mail use (sends, opens, clicks) to send you "
        "more relevant information.",
        "legal_basis": "consent",
        "data_categories": "Customer data; e-mail usage information (sends, opens, clicks).",
        "retention": "Until you withdraw your consent or object; the suppression entry that "
        "keeps you from receiving marketing is kept.",
        "systems": ["crm", "salesforce"],
        "recipients": ["Salesforce, Inc."],
        "translations": {
            "de": {
                "data_categories": "Kundendaten; Informationen zur E-Mail-Nutzung "
                "(Versand, Öffnungen, Klicks).",
                "name": "Kundenkommunikation und E-Mail-Marketing",
                "purpose": "Bearbeitung von Serviceanfragen und Kommunikation per E-Mail oder "
                "Telefon; mit Ihrer Einwilligung Auswertung der E-Mail-Nutzung "
                "(Versand, Öffnungen, Klicks) für passendere Informationen.",
                "retention": "Bis Sie Ihre Einwilligung widerrufen oder widersprechen; der "
                "Sperrvermerk, der Werbung an Sie verhindert, bleibt erhalten.",
            },
            "nl": {
                "data_categories": "Klantgegevens; informatie over e-mailgebruik "
                "(verzonden, geopend, geklikt).",
                "name": "Klantcommunicatie en e-mailmarketing",
                "purpose": "Het behandelen van serviceverzoeken en communicatie per e-mail "
                "of telefoon; met uw toestemming het meten van e-mailgebruik "
                "(verzonden, geopend, geklikt) voor relevantere informatie.",
                "retention": "Totdat u uw toestemming intrekt of bezwaar maakt; de "
                "blokkeringsvermelding die marketing aan u voorkomt, blijft "
                "bewaard.",
            },
        },
    },
    {
        # The seeds' webshop fraud prevention (Risk.Ident): the risk assessment in the ordering
        # process is the one automated decision in the demo (the seeds name no other).
        "key": "webshop-fraud-prevention",
        "name": "Fraud prevention in the webshop",
        "purpose": "Preventing fraud in our webshop: assessing the risk of an order when it "
        "is placed.",
        "legal_basis": "contract",
        "data_categories": "Device data collected on the webshop pages with cookies and "
        "tracking technologies (pseudonymised; IP addresses anonymised at once); the order "
        "and its result of the risk assessment.",
        "retention": "The risk result is kept with the order; device data in the fraud "
        "prevention database as long as it is needed to prevent fraud.",
        "systems": [],
        "recipients": ["Risk.Ident GmbH"],
        "automated_decision": True,
        "automated_logic": "When you place an order, the device used is compared with the "
        "fraud prevention database of Risk.Ident, which holds devices from which fraud has "
        "been attempted before. Characteristics of the device and of the order (such as the "
        "payment method and the delivery address differing from the billing address) give a "
        "risk score; above a set threshold the order is declined, without a person looking "
        "at it.",
        "automated_consequences": "An order with a high risk score is declined or can only "
        "be completed with prepayment. It does not affect your existing contracts.",
        "translations": {
            "de": {
                "name": "Betrugsprävention im Webshop",
                "purpose": "Verhinderung von Betrug in unserem Webshop: Bewertung des Risikos "
                "einer Bestellung, wenn sie aufgegeben wird.",
                "data_categories": "Gerätedaten, die auf den Seiten des Webshops mit Cookies "
                "und Tracking-Technologien erhoben werden (pseudonymisiert; IP-Adressen "
                "sofort anonymisiert); die Bestellung und das Ergebnis ihrer Risikobewertung.",
                "retention": "Das Ergebnis der Risikobewertung wird mit der Bestellung "
                "gespeichert; Gerätedaten in der Betrugspräventionsdatenbank, solange sie zur "
                "Betrugsverhinderung erforderlich sind.",
                "automated_logic": "Wenn Sie eine Bestellung aufgeben, wird das verwendete "
                "Gerät mit der Betrugspräventionsdatenbank von Risk.Ident abgeglichen, die "
                "Geräte enthält, von denen aus bereits Betrug versucht wurde. Merkmale des "
                "Geräts und der Bestellung (etwa die Zahlungsart und eine von der "
                "Rechnungsanschrift abweichende Lieferanschrift) ergeben einen Risikowert; "
                "oberhalb eines festgelegten Schwellenwerts wird die Bestellung abgelehnt, "
                "ohne dass ein Mensch sie prüft.",
                "automated_consequences": "Eine Bestellung mit hohem Risikowert wird abgelehnt "
                "oder kann nur gegen Vorkasse abgeschlossen werden. Ihre bestehenden Verträge "
                "berührt dies nicht.",
            },
            "nl": {
                "name": "Fraudepreventie in de webwinkel",
                "purpose": "Het voorkomen van fraude in onze webwinkel: het beoordelen van het "
                "risico van een bestelling wanneer die wordt geplaatst.",
                "data_categories": "Apparaatgegevens die op de pagina's van de webwinkel met "
                "cookies en trackingtechnologieën worden verzameld (gepseudonimiseerd; "
                "IP-adressen onmiddellijk geanonimiseerd); de bestelling en de uitkomst van "
                "de risicobeoordeling.",
                "retention": "De uitkomst van de risicobeoordeling wordt bij de bestelling "
                "bewaard; apparaatgegevens in de fraudepreventiedatabank zolang dat nodig is "
                "om fraude te voorkomen.",
                "automated_logic": "Wanneer u een bestelling plaatst, wordt het gebruikte "
                "apparaat vergeleken met de fraudepreventiedatabank van Risk.Ident, waarin "
                "apparaten staan van waaruit eerder fraude is geprobeerd. Kenmerken van het "
                "apparaat en van de bestelling (zoals de betaalwijze en een afleveradres dat "
                "afwijkt van het factuuradres) leveren een risicoscore op; boven een "
                "vastgestelde drempel wordt de bestelling geweigerd, zonder dat een mens "
                "ernaar kijkt.",
                "automated_consequences": "Een bestelling met een hoge risicoscore wordt "
                "geweigerd of kan alleen met vooruitbetaling worden afgerond. Uw bestaande "
                "contracten worden hierdoor niet geraakt.",
            },
        },
    },
    {
        "key": "video-ident",
        "name": "Identity check by video (Video Ident)",
        "purpose": "Checking your identity when you conclude a contract.",
        "legal_basis": "contract",
        "data_categories": "Start and end of the video session. Video content is not stored.",
        "retention": "Session information is kept for 7 days.",
        "systems": [],
        "recipients": ["Purpleview GmbH"],
        "translations": {
            "de": {
                "data_categories": "Beginn und Ende der Videositzung. Videoinhalte werden "
                "nicht gespeichert.",
                "name": "Identitätsprüfung per Video (Video-Ident)",
                "purpose": "Prüfung Ihrer Identität beim Vertragsabschluss.",
                "retention": "Sitzungsinformationen werden 7 Tage gespeichert.",
            },
            "nl": {
                "data_categories": "Begin en einde van de videosessie. Video-inhoud wordt "
                "niet opgeslagen.",
                "name": "Identiteitscontrole via video (Video Ident)",
                "purpose": "Het controleren van uw identiteit bij het sluiten van een contract.",
                "retention": "Sessie-informatie wordt 7 dagen bewaard.",
            },
        },
    },
]

# The seeds' notices: Facebook Ireland is a joint controller of what its pixel collects on our
# pages and passes to it (seed 003), and customer organisations administer the accounts their
# staff use (seed 004: we are the data trustee and forward such requests to them). The
# addresses are the demo's own (.example): nothing the demo sends reaches a real company.
PIXEL_ACTIVITY = {
    "key": "facebook-pixel",
    "name": "Facebook Pixel and Custom Audiences",
    "direct_marketing": True,
    "purpose": "With your consent, measuring the effect of our advertising on Facebook and "
    "showing our offers to Facebook users who visited our pages.",
    "legal_basis": "consent",
    "data_categories": "Pages visited, the pixel ID and the Facebook cookie, including your "
    "Facebook ID if you have an account.",
    "retention": "Until you withdraw your consent; what Facebook keeps is up to Facebook.",
    "systems": [],
    "recipients": [],
    "translations": {
        "de": {
            "name": "Facebook-Pixel und Custom Audiences",
            "purpose": "Mit Ihrer Einwilligung die Wirkung unserer Werbung auf Facebook messen "
            "und Facebook-Nutzern, die unsere Seiten besucht haben, unsere Angebote zeigen.",
            "data_categories": "Besuchte Seiten, die Pixel-ID und das Facebook-Cookie, mit "
            "Ihrer Facebook-ID, wenn Sie ein Konto haben.",
            "retention": "Bis Sie Ihre Einwilligung widerrufen; was Facebook speichert, "
            "entscheidet Facebook.",
        },
        "nl": {
            "name": "Facebook-pixel en Custom Audiences",
            "purpose": "Met uw toestemming het effect van onze advertenties op Facebook meten "
            "en onze aanbiedingen tonen aan Facebook-gebruikers die onze pagina's bezochten.",
            "data_categories": "Bezochte pagina's, de pixel-ID en de Facebook-cookie, met uw "
            "Facebook-ID als u een account hebt.",
            "retention": "Totdat u uw toestemming intrekt; wat Facebook bewaart, bepaalt Facebook.",
        },
    },
}
ACTIVITIES.append(PIXEL_ACTIVITY)

OTHER_CONTROLLERS: list[dict[str, Any]] = [
    {
        "name": "Facebook Ireland Ltd",
        "kind": "joint_controller",
        "address": "4 Grand Canal Square, Grand Canal Harbour, Dublin 2, Ireland",
        "request_email": "privacy-requests@facebook.example",
        "language": "en",
        "contact_point": "Facebook Ireland Ltd, 4 Grand Canal Square, Grand Canal Harbour, "
        "Dublin 2, Ireland; https://www.facebook.com/privacy/explanation",
        "arrangement": "We are jointly responsible only for collecting the data with the "
        "pixel on our pages and passing it to Facebook; what Facebook does with it afterwards "
        "is its own responsibility. You can exercise your rights about the data Facebook "
        "processes directly with Facebook; if you exercise them with us, we forward them.",
        "activities": ["facebook-pixel"],
        "systems": [],
        "domains": "",
        "translations": {
            "de": {
                "arrangement": "Gemeinsam verantwortlich sind wir nur für das Erheben der "
                "Daten mit dem Pixel auf unseren Seiten und ihre Übermittlung an Facebook; "
                "was Facebook danach damit tut, verantwortet Facebook allein. Ihre Rechte zu "
                "den Daten, die Facebook verarbeitet, können Sie direkt bei Facebook geltend "
                "machen; machen Sie sie bei uns geltend, leiten wir sie weiter.",
            },
            "nl": {
                "arrangement": "Wij zijn alleen gezamenlijk verantwoordelijk voor het "
                "verzamelen van de gegevens met de pixel op onze pagina's en het doorsturen "
                "ervan naar Facebook; wat Facebook daarna doet, valt onder de eigen "
                "verantwoordelijkheid van Facebook. Uw rechten over de gegevens die Facebook "
                "verwerkt, kunt u rechtstreeks bij Facebook uitoefenen; oefent u ze bij ons "
                "uit, dan sturen wij ze door.",
            },
        },
    },
    {
        "name": "Beispiel Logistik AG",
        "kind": "customer_organisation",
        "address": "Hafenstraße 1, 20457 Hamburg, Germany",
        "request_email": "datenschutz@beispiel-logistik.example",
        "language": "de",
        "contact_point": "Beispiel Logistik AG, Datenschutz, Hafenstraße 1, 20457 Hamburg; "
        "datenschutz@beispiel-logistik.example",
        "arrangement": "",
        "activities": [],
        "systems": [],
        "domains": "beispiel-logistik.example",
        "translations": {},
    },
]


@transaction.atomic
def load_register() -> int:
    recipients = {}
    for entry in RECIPIENTS:
        recipient, _ = Recipient.objects.get_or_create(name=entry["name"], defaults=entry)
        recipients[recipient.name] = recipient
    for entry in ACTIVITIES:
        values = {k: v for k, v in entry.items() if k not in ("key", "recipients")}
        activity, created = ProcessingActivity.objects.get_or_create(
            key=entry["key"], defaults=values
        )
        if created:  # an admin's later edits are kept when the demo loads again
            activity.recipients.set([recipients[name] for name in entry["recipients"]])
    for entry in OTHER_CONTROLLERS:
        values = {k: v for k, v in entry.items() if k not in ("name", "activities")}
        party, created = OtherController.objects.get_or_create(name=entry["name"], defaults=values)
        if created:
            party.activities.set(ProcessingActivity.objects.filter(key__in=entry["activities"]))
    return ProcessingActivity.objects.count()
