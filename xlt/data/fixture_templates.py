"""Hand-written templates and slot values for the Belebele-layout fixtures (see ``xlt.data.fixtures``).

Three short stories, each with four questions; every question asks for one slot value that the passage
states once. Slot lists are parallel across languages (index i is the same referent everywhere). A value is
either one string or a pair ``(option form, form inside the passage)`` where the grammar needs an inflected
form (Korean object particles, Arabic accusative, English articles); the option form is always a substring
of the passage form, so the gold option occurs verbatim in the passage and the distractors do not.

The texts were written for test fixtures, not by native speakers, and were not reviewed by any. The Arabic
dialect variants are Modern Standard Arabic with a handful of dialect-flavoured substitutions (verbs of
motion, question words, "friend", "tea") and case endings dropped: an approximation, not dialect text.
Tuesday is left out on purpose: Amharic ሰኞ (Monday) is a substring of ማክሰኞ (Tuesday).
"""

from __future__ import annotations

Value = str | tuple[str, str]

# Question keys of each story, and the slot type each one's answer is drawn from.
STORY_QUESTIONS: tuple[tuple[str, ...], ...] = (
    ("city", "item", "day", "hour"),  # 0: the market
    ("bus", "friend", "colour", "day"),  # 1: the bus trip
    ("job", "city", "hour", "day"),  # 2: the job
)
ANSWER_SLOT: dict[str, str] = {
    "city": "city", "item": "item", "day": "day", "hour": "hour", "bus": "bus", "friend": "name",
    "colour": "colour", "job": "job",
}
HOURS: tuple[int, ...] = (5, 6, 7, 8, 9, 10, 11)
# Bus numbers share no digit with the hours, so no number option is a substring of another number.
BUS_NUMBERS: tuple[int, ...] = (22, 23, 24, 32, 33, 34, 42, 43, 44)

LATIN_NAMES = ["Adam", "Sami", "Karim", "Yusuf", "Daniel", "Omar", "Nabil", "Rami"]

# code -> {"slots": {type: [values]}, "stories": [(passage, {question key: question}), ...]}
SPECS: dict[str, dict] = {}

SPECS["eng_Latn"] = {
    "slots": {
        "name": LATIN_NAMES,
        "city": ["Tunis", "Paris", "Tokyo", "Rome", "London", "Madrid", "Istanbul", "Seoul"],
        "day": ["Monday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "item": ["apples", "bread", "fish", "rice", "oranges", "cheese", "tomatoes", "milk"],
        "job": [("teacher", "a teacher"), ("doctor", "a doctor"), ("trader", "a trader"),
                ("driver", "a driver"), ("engineer", "an engineer"), ("farmer", "a farmer")],
        "colour": ["red", "blue", "green", "black", "white", "yellow"],
    },
    "stories": [
        ("{name} lives in the city of {city}. On {day} he went to the market and bought {item}. "
         "Then he returned home at {hour} o'clock.",
         {"city": "In which city does {name} live?", "item": "What did {name} buy at the market?",
          "day": "On which day did {name} go to the market?", "hour": "At what time did {name} return home?"}),
        ("On {day}, {name} took bus number {bus} to visit his friend {friend}. {name}'s hat was {colour}. "
         "The two friends drank tea together.",
         {"bus": "What was the number of the bus that {name} took?", "friend": "Which friend did {name} visit?",
          "colour": "What colour was {name}'s hat?", "day": "On which day did {name} take the bus?"}),
        ("{name} works as {job} in the city of {city}. He starts work at {hour} o'clock in the morning. "
         "His day off is {day}.",
         {"job": "What is {name}'s job?", "city": "In which city does {name} work?",
          "hour": "At what time does {name} start work?", "day": "Which day is {name}'s day off?"}),
    ],
}

SPECS["arb_Arab"] = {
    "slots": {
        "name": ["آدم", "سامي", "كريم", "يوسف", "دانيال", "عمر", "نبيل", "رامي"],
        "city": ["تونس", "باريس", "طوكيو", "روما", "لندن", "مدريد", "إسطنبول", "سيول"],
        "day": ["الاثنين", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"],
        "item": [("تفاح", "تفاحًا"), ("خبز", "خبزًا"), ("سمك", "سمكًا"), ("أرز", "أرزًا"),
                 ("برتقال", "برتقالًا"), ("جبن", "جبنًا"), "طماطم", ("حليب", "حليبًا")],
        "job": ["معلم", "طبيب", "تاجر", "سائق", "مهندس", "مزارع"],
        "colour": ["حمراء", "زرقاء", "خضراء", "سوداء", "بيضاء", "صفراء"],
    },
    "stories": [
        ("يعيش {name} في مدينة {city}. ذهب إلى السوق يوم {day} واشترى {item}، ثم عاد إلى البيت في الساعة {hour}.",
         {"city": "في أي مدينة يعيش {name}؟", "item": "ماذا اشترى {name} من السوق؟",
          "day": "في أي يوم ذهب {name} إلى السوق؟", "hour": "في أي ساعة عاد {name} إلى البيت؟"}),
        ("يوم {day} ركب {name} الحافلة رقم {bus} لزيارة صديقه {friend}. كانت قبعة {name} {colour}. "
         "وشرب الصديقان الشاي معًا.",
         {"bus": "ما رقم الحافلة التي ركبها {name}؟", "friend": "من هو الصديق الذي زاره {name}؟",
          "colour": "ما لون قبعة {name}؟", "day": "في أي يوم ركب {name} الحافلة؟"}),
        ("{name} {job} في مدينة {city}. يبدأ عمله في الساعة {hour} صباحًا، ويوم {day} هو يوم راحته.",
         {"job": "ما مهنة {name}؟", "city": "في أي مدينة يعمل {name}؟",
          "hour": "في أي ساعة يبدأ {name} عمله؟", "day": "ما هو يوم راحة {name}؟"}),
    ],
}

# Dialects: (substitutions applied in order to the MSA passage and question templates). Case endings are
# dropped from the items (dialects have none).
_AR_COMMON_TAIL = [("ثم ", "وبعدين ")]
DIALECT_SUBSTITUTIONS: dict[str, list[tuple[str, str]]] = {
    "arz_Arab": [
        ("في أي مدينة يعيش {name}؟", "{name} عايش في أنهي مدينة؟"), ("يعيش {name} في", "{name} عايش في"),
        ("ذهب {name} إلى السوق", "{name} راح السوق"), ("ذهب إلى السوق", "راح السوق"),
        ("عاد {name} إلى البيت", "{name} رجع البيت"), ("عاد إلى البيت", "رجع البيت"),
        ("ماذا اشترى {name} من السوق؟", "{name} اشترى إيه من السوق؟"),
        ("من هو الصديق الذي زاره {name}؟", "مين الصاحب اللي {name} زاره؟"),
        ("ما رقم الحافلة التي ركبها {name}؟", "{name} ركب أتوبيس رقم كام؟"), ("الحافلة", "الأتوبيس"),
        ("ما لون قبعة {name}؟", "قبعة {name} كان لونها إيه؟"), ("ما مهنة {name}؟", "{name} بيشتغل إيه؟"),
        ("ما هو يوم راحة {name}؟", "يوم راحة {name} إمتى؟"), ("يبدأ {name} عمله", "{name} بيبدأ شغله"),
        ("يبدأ عمله", "بيبدأ شغله"), ("يعمل", "بيشتغل"), ("صباحًا", "الصبح"),
        ("في أي", "في أنهي"), ("صديقه", "صاحبه"), ("وشرب الصديقان الشاي معًا", "وشربوا الشاي مع بعض"),
        *_AR_COMMON_TAIL,
    ],
    "apc_Arab": [
        ("في أي مدينة يعيش {name}؟", "وين ساكن {name}؟"), ("يعيش {name} في", "{name} ساكن في"),
        ("ذهب {name} إلى السوق", "راح {name} عالسوق"), ("ذهب إلى السوق", "راح عالسوق"),
        ("عاد {name} إلى البيت", "رجع {name} عالبيت"), ("عاد إلى البيت", "رجع عالبيت"),
        ("ماذا اشترى", "شو اشترى"), ("من هو الصديق الذي زاره", "مين الرفيق اللي زاره"),
        ("ما رقم الحافلة التي ركبها {name}؟", "شو رقم الباص اللي ركبه {name}؟"), ("الحافلة", "الباص"),
        ("ما لون", "شو لون"), ("ما مهنة {name}؟", "شو شغلة {name}؟"), ("ما هو يوم راحة {name}؟", "أي يوم عطلة {name}؟"),
        ("يبدأ {name} عمله", "بيبلّش {name} شغله"), ("يبدأ عمله", "بيبلّش شغله"), ("يعمل", "بيشتغل"),
        ("صباحًا", "الصبح"),
        ("في أي", "بأي"), ("صديقه", "رفيقه"), ("وشرب الصديقان الشاي معًا", "وشربوا الشاي سوا"),
        *_AR_COMMON_TAIL,
    ],
    "acm_Arab": [
        ("في أي مدينة يعيش {name}؟", "{name} ساكن بيا مدينة؟"), ("يعيش {name} في", "{name} ساكن في"),
        ("ذهب {name} إلى السوق", "راح {name} للسوق"), ("ذهب إلى السوق", "راح للسوق"),
        ("عاد {name} إلى البيت", "رجع {name} للبيت"), ("عاد إلى البيت", "رجع للبيت"),
        ("ماذا اشترى", "شنو اشترى"), ("من هو الصديق الذي زاره", "منو الصديق اللي زاره"),
        ("ما رقم الحافلة التي ركبها {name}؟", "شنو رقم الباص اللي ركبه {name}؟"), ("الحافلة", "الباص"),
        ("ما لون", "شنو لون"), ("ما مهنة", "شنو شغلة"), ("ما هو يوم راحة", "شنو يوم راحة"),
        ("يبدأ {name} عمله", "يبدي {name} شغله"), ("يبدأ عمله", "يبدي شغله"), ("يعمل", "يشتغل"),
        ("صباحًا", "الصبح"),
        ("في أي", "بيا"), ("وشرب الصديقان الشاي معًا", "وشربوا الچاي سوية"),
        *_AR_COMMON_TAIL,
    ],
    "ars_Arab": [
        ("في أي مدينة يعيش {name}؟", "وين ساكن {name}؟"), ("يعيش {name} في", "{name} ساكن في"),
        ("ذهب {name} إلى السوق", "راح {name} للسوق"), ("ذهب إلى السوق", "راح للسوق"),
        ("عاد {name} إلى البيت", "رجع {name} للبيت"), ("عاد إلى البيت", "رجع للبيت"),
        ("ماذا اشترى", "وش اشترى"), ("من هو الصديق الذي زاره", "مين الخوي اللي زاره"),
        ("ما رقم الحافلة التي ركبها {name}؟", "وش رقم الباص اللي ركبه {name}؟"), ("الحافلة", "الباص"),
        ("ما لون", "وش لون"), ("ما مهنة", "وش شغلة"), ("ما هو يوم راحة", "وش يوم راحة"),
        ("يبدأ {name} عمله", "يبدا {name} دوامه"), ("يبدأ عمله", "يبدا دوامه"), ("يعمل", "يشتغل"),
        ("صباحًا", "الصبح"), ("في أي", "بأي"),
        ("صديقه", "خويه"), ("وشرب الصديقان الشاي معًا", "وشربوا الشاهي مع بعض"),
        ("ثم ", "وبعدها "),
    ],
    "ary_Arab": [
        ("في أي مدينة يعيش {name}؟", "فين ساكن {name}؟"), ("يعيش {name} في", "{name} ساكن ف"),
        ("ذهب {name} إلى السوق", "مشى {name} للسوق"), ("ذهب إلى السوق", "مشى للسوق"),
        ("عاد {name} إلى البيت", "رجع {name} للدار"), ("عاد إلى البيت", "رجع للدار"),
        ("ماذا اشترى", "أش شرا"), ("واشترى", "وشرا"), ("من هو الصديق الذي زاره", "شكون الصاحب اللي زارو"),
        ("ما رقم الحافلة التي ركبها {name}؟", "شنو هو الرقم ديال الطوبيس اللي طلع فيه {name}؟"),
        ("ركب {name} الحافلة", "طلع {name} فالطوبيس"), ("الحافلة", "الطوبيس"),
        ("ما لون قبعة {name}؟", "شنو هو اللون ديال الطاقية ديال {name}؟"), ("قبعة", "الطاقية ديال"),
        ("ما مهنة {name}؟", "شنو هي الخدمة ديال {name}؟"),
        ("ما هو يوم راحة {name}؟", "شنو هو نهار الراحة ديال {name}؟"),
        ("ويوم {day} هو يوم راحته", "ونهار {day} هو نهار الراحة ديالو"), ("يوم {day}", "نهار {day}"),
        ("يبدأ {name} عمله", "كيبدا {name} الخدمة"), ("يبدأ عمله", "كيبدا الخدمة"), ("يعمل", "كيخدم"),
        ("صباحًا", "فالصباح"),
        ("في أي", "فأي"), ("صديقه", "صاحبو"), ("وشرب الصديقان الشاي معًا", "وشربو أتاي مع بعضياتهم"),
        ("ثم ", "ومن بعد "),
    ],
}

SPECS["heb_Hebr"] = {
    "slots": {
        "name": ["אדם", "סמי", "כרים", "יוסף", "דניאל", "עומר", "נביל", "ראמי"],
        "city": ["תוניס", "פריז", "טוקיו", "רומא", "לונדון", "מדריד", "איסטנבול", "סיאול"],
        "day": ["יום שני", "יום רביעי", "יום חמישי", "יום שישי", "שבת", "יום ראשון"],
        "item": ["תפוחים", "לחם", "דגים", "אורז", "תפוזים", "גבינה", "עגבניות", "חלב"],
        "job": ["מורה", "רופא", "סוחר", "נהג", "מהנדס", "חקלאי"],
        "colour": ["אדום", "כחול", "ירוק", "שחור", "לבן", "צהוב"],
    },
    "stories": [
        ("{name} גר בעיר {city}. ב{day} הוא הלך לשוק וקנה {item}. אחר כך הוא חזר הביתה בשעה {hour}.",
         {"city": "באיזו עיר גר {name}?", "item": "מה קנה {name} בשוק?",
          "day": "באיזה יום הלך {name} לשוק?", "hour": "באיזו שעה חזר {name} הביתה?"}),
        ("ב{day} נסע {name} באוטובוס קו {bus} כדי לבקר את חברו {friend}. הכובע של {name} היה {colour}. "
         "שני החברים שתו תה יחד.",
         {"bus": "באיזה קו אוטובוס נסע {name}?", "friend": "את מי ביקר {name}?",
          "colour": "מה היה צבע הכובע של {name}?", "day": "באיזה יום נסע {name} באוטובוס?"}),
        ("{name} עובד כ{job} בעיר {city}. הוא מתחיל לעבוד בשעה {hour} בבוקר. יום המנוחה שלו הוא {day}.",
         {"job": "מה המקצוע של {name}?", "city": "באיזו עיר עובד {name}?",
          "hour": "באיזו שעה מתחיל {name} לעבוד?", "day": "מהו יום המנוחה של {name}?"}),
    ],
}

_ETHI_NAMES_AM = ["አዳም", "ሳሚ", "ከሪም", "ዩሱፍ", "ዳንኤል", "ዑመር", "ናቢል", "ራሚ"]
SPECS["amh_Ethi"] = {
    "slots": {
        "name": _ETHI_NAMES_AM,
        "city": ["ቱኒስ", "ፓሪስ", "ቶኪዮ", "ሮም", "ለንደን", "ማድሪድ", "ኢስታንቡል", "ሴኡል"],
        "day": ["ሰኞ", "ረቡዕ", "ሐሙስ", "ዓርብ", "ቅዳሜ", "እሁድ"],
        "item": ["ፖም", "ዳቦ", "ዓሣ", "ሩዝ", "ብርቱካን", "አይብ", "ቲማቲም", "ወተት"],
        "job": ["መምህር", "ሐኪም", "ነጋዴ", "ሹፌር", "መሐንዲስ", "ገበሬ"],
        "colour": ["ቀይ", "ሰማያዊ", "አረንጓዴ", "ጥቁር", "ነጭ", "ቢጫ"],
    },
    "stories": [
        ("{name} በ{city} ከተማ ይኖራል። {day} ዕለት ወደ ገበያ ሄዶ {item} ገዛ። ከዚያም በ{hour} ሰዓት ወደ ቤቱ ተመለሰ።",
         {"city": "{name} በየትኛው ከተማ ይኖራል?", "item": "{name} ከገበያ ምን ገዛ?",
          "day": "{name} በየትኛው ቀን ወደ ገበያ ሄደ?", "hour": "{name} በስንት ሰዓት ወደ ቤቱ ተመለሰ?"}),
        ("{day} ዕለት {name} ጓደኛውን {friend}ን ለመጠየቅ በቁጥር {bus} አውቶቡስ ተሳፈረ። የ{name} ኮፍያ {colour} ነበር። "
         "ሁለቱ ጓደኛሞች አብረው ሻይ ጠጡ።",
         {"bus": "{name} የተሳፈረው አውቶቡስ ቁጥሩ ስንት ነው?", "friend": "{name} የጠየቀው ጓደኛው ማን ነው?",
          "colour": "የ{name} ኮፍያ ምን ዓይነት ቀለም ነበር?", "day": "{name} አውቶቡስ የተሳፈረው በየትኛው ቀን ነው?"}),
        ("{name} በ{city} ከተማ {job} ሆኖ ይሠራል። ሥራውን ጠዋት በ{hour} ሰዓት ይጀምራል። የዕረፍት ቀኑ {day} ነው።",
         {"job": "የ{name} ሙያ ምንድን ነው?", "city": "{name} በየትኛው ከተማ ይሠራል?",
          "hour": "{name} ሥራውን በስንት ሰዓት ይጀምራል?", "day": "የ{name} የዕረፍት ቀን የትኛው ነው?"}),
    ],
}

SPECS["tir_Ethi"] = {
    "slots": {
        "name": ["ኣዳም", "ሳሚ", "ከሪም", "ዩሱፍ", "ዳንኤል", "ዑመር", "ናቢል", "ራሚ"],
        "city": ["ቱኒስ", "ፓሪስ", "ቶክዮ", "ሮማ", "ለንደን", "ማድሪድ", "ኢስታንቡል", "ሰኡል"],
        "day": ["ሰኑይ", "ረቡዕ", "ሓሙስ", "ዓርቢ", "ቀዳም", "ሰንበት"],
        "item": ["ፖም", "ባኒ", "ዓሳ", "ሩዝ", "ኣራንሺ", "ፎርማጆ", "ኮሚደረ", "ጸባ"],
        "job": ["መምህር", "ሓኪም", "ነጋዳይ", "ሹፌር", "ኢንጂነር", "ሓረስታይ"],
        "colour": ["ቀይሕ", "ሰማያዊ", "ቀጠልያ", "ጸሊም", "ጻዕዳ", "ብጫ"],
    },
    "stories": [
        ("{name} ኣብ ከተማ {city} ይነብር። ብ{day} ናብ ዕዳጋ ከይዱ {item} ዓደገ። ድሕሪኡ ሰዓት {hour} ናብ ገዛኡ ተመልሰ።",
         {"city": "{name} ኣብ ኣየናይ ከተማ ይነብር?", "item": "{name} ካብ ዕዳጋ እንታይ ዓደገ?",
          "day": "{name} ብኣየናይ መዓልቲ ናብ ዕዳጋ ከደ?", "hour": "{name} ሰዓት ክንደይ ናብ ገዛኡ ተመልሰ?"}),
        ("ብ{day} {name} ንዓርኩ {friend} ክበጽሖ ብቑጽሪ {bus} ኣውቶቡስ ተጓዒዙ። ባርኔጣ {name} {colour} ነይሩ። "
         "ክልቲኦም ኣዕሩኽ ብሓባር ሻሂ ሰትዮም።",
         {"bus": "{name} ብኣየናይ ቑጽሪ ኣውቶቡስ ተጓዒዙ?", "friend": "{name} ንመን በጺሑ?",
          "colour": "ባርኔጣ {name} እንታይ ሕብሪ ነይሩ?", "day": "{name} ብኣየናይ መዓልቲ ብኣውቶቡስ ተጓዒዙ?"}),
        ("{name} ኣብ ከተማ {city} ከም {job} ኮይኑ ይሰርሕ። ንግሆ ሰዓት {hour} ስራሕ ይጅምር። መዕረፊ መዓልቱ {day} እያ።",
         {"job": "ሞያ {name} እንታይ እዩ?", "city": "{name} ኣብ ኣየናይ ከተማ ይሰርሕ?",
          "hour": "{name} ሰዓት ክንደይ ስራሕ ይጅምር?", "day": "መዕረፊ መዓልቲ {name} ኣየናይ እያ?"}),
    ],
}

SPECS["mlt_Latn"] = {
    "slots": {
        "name": LATIN_NAMES,
        "city": ["Tuneż", "Pariġi", "Tokjo", "Ruma", "Londra", "Madrid", "Istanbul", "Seoul"],
        "day": ["it-Tnejn", "l-Erbgħa", "il-Ħamis", "il-Ġimgħa", "is-Sibt", "il-Ħadd"],
        "item": ["tuffieħ", "ħobż", "ħut", "ross", "larinġ", "ġobon", "tadam", "ħalib"],
        "job": ["għalliem", "tabib", "negozjant", "xufier", "inġinier", "bidwi"],
        "colour": ["aħmar", "blu", "aħdar", "iswed", "abjad", "isfar"],
    },
    "stories": [
        ("{name} jgħix fil-belt ta' {city}. Nhar {day} mar is-suq u xtara {item}. "
         "Imbagħad reġa' lura d-dar fil-{hour}:00.",
         {"city": "F'liema belt jgħix {name}?", "item": "X'xtara {name} mis-suq?",
          "day": "Liema jum mar {name} is-suq?", "hour": "F'liema ħin reġa' lura d-dar {name}?"}),
        ("Nhar {day}, {name} qabad il-karozza tal-linja numru {bus} biex iżur lil ħabibu {friend}. "
         "Il-kappell ta' {name} kien {colour}. Iż-żewġ ħbieb xorbu t-te flimkien.",
         {"bus": "Liema numru kellha l-karozza tal-linja li qabad {name}?", "friend": "Lil min żar {name}?",
          "colour": "X'kulur kien il-kappell ta' {name}?", "day": "Liema jum qabad {name} il-karozza tal-linja?"}),
        ("{name} jaħdem ta' {job} fil-belt ta' {city}. Jibda x-xogħol fil-{hour}:00 ta' filgħodu. "
         "Il-jum ta' mistrieħ tiegħu huwa {day}.",
         {"job": "X'xogħol jagħmel {name}?", "city": "F'liema belt jaħdem {name}?",
          "hour": "F'liema ħin jibda x-xogħol {name}?", "day": "Liema jum huwa l-jum ta' mistrieħ ta' {name}?"}),
    ],
}

SPECS["fra_Latn"] = {
    "slots": {
        "name": LATIN_NAMES,
        "city": ["Tunis", "Paris", "Tokyo", "Rome", "Londres", "Madrid", "Istanbul", "Séoul"],
        "day": ["lundi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
        "item": ["des pommes", "du pain", "du poisson", "du riz", "des oranges", "du fromage", "des tomates",
                 "du lait"],
        "job": ["enseignant", "médecin", "commerçant", "chauffeur", "ingénieur", "agriculteur"],
        "colour": ["rouge", "bleu", "vert", "noir", "blanc", "jaune"],
    },
    "stories": [
        ("{name} habite à {city}. Il est allé au marché {day} et il a acheté {item}. "
         "Ensuite, il est rentré chez lui à {hour} heures.",
         {"city": "Dans quelle ville habite {name} ?", "item": "Qu'a acheté {name} au marché ?",
          "day": "Quel jour {name} est-il allé au marché ?", "hour": "À quelle heure {name} est-il rentré chez lui ?"}),
        ("{name} a pris le bus numéro {bus} {day} dernier pour rendre visite à son ami {friend}. "
         "Son chapeau était {colour}. Les deux amis ont bu du thé ensemble.",
         {"bus": "Quel est le numéro du bus pris par {name} ?", "friend": "À quel ami {name} a-t-il rendu visite ?",
          "colour": "De quelle couleur était le chapeau que portait {name} ?",
          "day": "Quel jour {name} a-t-il pris le bus ?"}),
        ("{name} travaille comme {job} à {city}. Il commence le travail à {hour} heures du matin. "
         "Son jour de repos est le {day}.",
         {"job": "Quel métier exerce {name} ?", "city": "Dans quelle ville travaille {name} ?",
          "hour": "À quelle heure {name} commence-t-il le travail ?", "day": "Quel jour {name} se repose-t-il ?"}),
    ],
}

SPECS["spa_Latn"] = {
    "slots": {
        "name": LATIN_NAMES,
        "city": ["Túnez", "París", "Tokio", "Roma", "Londres", "Madrid", "Estambul", "Seúl"],
        "day": ["lunes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        "item": ["manzanas", "pan", "pescado", "arroz", "naranjas", "queso", "tomates", "leche"],
        "job": ["profesor", "médico", "comerciante", "conductor", "ingeniero", "agricultor"],
        "colour": ["rojo", "azul", "verde", "negro", "blanco", "amarillo"],
    },
    "stories": [
        ("{name} vive en la ciudad de {city}. El {day} fue al mercado y compró {item}. "
         "Después volvió a casa a las {hour}.",
         {"city": "¿En qué ciudad vive {name}?", "item": "¿Qué compró {name} en el mercado?",
          "day": "¿Qué día fue {name} al mercado?", "hour": "¿A qué hora volvió {name} a casa?"}),
        ("El {day}, {name} tomó el autobús número {bus} para visitar a su amigo {friend}. "
         "El sombrero de {name} era {colour}. Los dos amigos tomaron té juntos.",
         {"bus": "¿Cuál era el número del autobús que tomó {name}?", "friend": "¿A qué amigo visitó {name}?",
          "colour": "¿De qué color era el sombrero de {name}?", "day": "¿Qué día tomó {name} el autobús?"}),
        ("{name} trabaja como {job} en la ciudad de {city}. Empieza a trabajar a las {hour} de la mañana. "
         "Su día de descanso es el {day}.",
         {"job": "¿Cuál es la profesión de {name}?", "city": "¿En qué ciudad trabaja {name}?",
          "hour": "¿A qué hora empieza a trabajar {name}?", "day": "¿Cuál es el día de descanso de {name}?"}),
    ],
}

SPECS["jpn_Jpan"] = {
    "slots": {
        "name": ["アダム", "サミ", "カリム", "ユースフ", "ダニエル", "オマル", "ナビル", "ラミ"],
        "city": ["チュニス", "パリ", "東京", "ローマ", "ロンドン", "マドリード", "イスタンブール", "ソウル"],
        "day": ["月曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"],
        "item": ["りんご", "パン", "魚", "米", "オレンジ", "チーズ", "トマト", "牛乳"],
        "job": ["教師", "医者", "商人", "運転手", "技術者", "農家"],
        "colour": ["赤", "青", "緑", "黒", "白", "黄色"],
    },
    "stories": [
        ("{name}さんは{city}に住んでいる。{day}に市場へ行って{item}を買い、{hour}時に家に帰った。",
         {"city": "{name}さんはどの都市に住んでいますか？", "item": "{name}さんは市場で何を買いましたか？",
          "day": "{name}さんは何曜日に市場へ行きましたか？", "hour": "{name}さんは何時に家に帰りましたか？"}),
        ("{day}、{name}さんは友達の{friend}さんに会うために{bus}番のバスに乗った。{name}さんの帽子は{colour}だった。"
         "二人は一緒にお茶を飲んだ。",
         {"bus": "{name}さんが乗ったバスは何番でしたか？", "friend": "{name}さんはどの友達に会いに行きましたか？",
          "colour": "{name}さんの帽子は何色でしたか？", "day": "{name}さんは何曜日にバスに乗りましたか？"}),
        ("{name}さんは{city}で{job}として働いている。朝{hour}時に仕事を始める。休みの日は{day}だ。",
         {"job": "{name}さんの仕事は何ですか？", "city": "{name}さんはどの都市で働いていますか？",
          "hour": "{name}さんは何時に仕事を始めますか？", "day": "{name}さんの休みの日は何曜日ですか？"}),
    ],
}

SPECS["kor_Hang"] = {
    "slots": {
        "name": ["아담", "사미", "카림", "유수프", "다니엘", "오마르", "나빌", "라미"],
        "city": ["튀니스", "파리", "도쿄", "로마", "런던", "마드리드", "이스탄불", "서울"],
        "day": ["월요일", "수요일", "목요일", "금요일", "토요일", "일요일"],
        "item": [("사과", "사과를"), ("빵", "빵을"), ("생선", "생선을"), ("쌀", "쌀을"), ("오렌지", "오렌지를"),
                 ("치즈", "치즈를"), ("토마토", "토마토를"), ("우유", "우유를")],
        "job": ["교사", "의사", "상인", "운전기사", "엔지니어", "농부"],
        "colour": ["빨간색", "파란색", "초록색", "검은색", "흰색", "노란색"],
    },
    "stories": [
        ("{name} 씨는 {city}에 산다. {day}에 시장에 가서 {item} 샀고, {hour}시에 집으로 돌아왔다.",
         {"city": "{name} 씨는 어느 도시에 삽니까?", "item": "{name} 씨는 시장에서 무엇을 샀습니까?",
          "day": "{name} 씨는 무슨 요일에 시장에 갔습니까?", "hour": "{name} 씨는 몇 시에 집으로 돌아왔습니까?"}),
        ("{day}에 {name} 씨는 친구 {friend} 씨를 만나러 {bus}번 버스를 탔다. {name} 씨의 모자는 {colour}이었다. "
         "두 친구는 함께 차를 마셨다.",
         {"bus": "{name} 씨가 탄 버스는 몇 번이었습니까?", "friend": "{name} 씨는 어느 친구를 만나러 갔습니까?",
          "colour": "{name} 씨의 모자는 무슨 색이었습니까?", "day": "{name} 씨는 무슨 요일에 버스를 탔습니까?"}),
        ("{name} 씨는 {city}에서 일하며 직업은 {job}이다. 아침 {hour}시에 일을 시작한다. 쉬는 날은 {day}이다.",
         {"job": "{name} 씨의 직업은 무엇입니까?", "city": "{name} 씨는 어느 도시에서 일합니까?",
          "hour": "{name} 씨는 몇 시에 일을 시작합니까?", "day": "{name} 씨가 쉬는 날은 무슨 요일입니까?"}),
    ],
}

SPECS["zho_Hans"] = {
    "slots": {
        "name": ["亚当", "萨米", "卡里姆", "优素福", "丹尼尔", "奥马尔", "纳比勒", "拉米"],
        "city": ["突尼斯", "巴黎", "东京", "罗马", "伦敦", "马德里", "伊斯坦布尔", "首尔"],
        "day": ["星期一", "星期三", "星期四", "星期五", "星期六", "星期日"],
        "item": ["苹果", "面包", "鱼", "大米", "橙子", "奶酪", "西红柿", "牛奶"],
        "job": ["老师", "医生", "商人", "司机", "工程师", "农民"],
        "colour": ["红色", "蓝色", "绿色", "黑色", "白色", "黄色"],
    },
    "stories": [
        ("{name}住在{city}。{day}他去市场买了{item}，然后在{hour}点回到了家。",
         {"city": "{name}住在哪个城市？", "item": "{name}在市场买了什么？",
          "day": "{name}星期几去了市场？", "hour": "{name}几点回到了家？"}),
        ("{day}，{name}坐{bus}路公共汽车去看望他的朋友{friend}。{name}的帽子是{colour}的。两个朋友一起喝了茶。",
         {"bus": "{name}坐的是几路公共汽车？", "friend": "{name}去看望了哪位朋友？",
          "colour": "{name}的帽子是什么颜色的？", "day": "{name}是星期几坐公共汽车的？"}),
        ("{name}在{city}当{job}。他早上{hour}点开始工作。他的休息日是{day}。",
         {"job": "{name}的职业是什么？", "city": "{name}在哪个城市工作？",
          "hour": "{name}早上几点开始工作？", "day": "{name}的休息日是星期几？"}),
    ],
}

SPECS["tur_Latn"] = {
    "slots": {
        "name": LATIN_NAMES,
        "city": ["Tunus", "Paris", "Tokyo", "Roma", "Londra", "Madrid", "İstanbul", "Seul"],
        # "günü" keeps "pazar" from matching inside "pazartesi" (and "cuma" inside "cumartesi").
        "day": ["pazartesi günü", "çarşamba günü", "perşembe günü", "cuma günü", "cumartesi günü", "pazar günü"],
        "item": ["elma", "ekmek", "balık", "pirinç", "portakal", "peynir", "domates", "süt"],
        "job": ["öğretmen", "doktor", "tüccar", "şoför", "mühendis", "çiftçi"],
        "colour": ["kırmızı", "mavi", "yeşil", "siyah", "beyaz", "sarı"],
    },
    "stories": [
        ("{name}, {city} şehrinde yaşıyor. Geçen {day} çarşıya gitti ve {item} aldı. Eve döndüğünde saat {hour} idi.",
         {"city": "{name} hangi şehirde yaşıyor?", "item": "{name} çarşıdan ne aldı?",
          "day": "{name} çarşıya hangi gün gitti?", "hour": "{name} eve döndüğünde saat kaçtı?"}),
        ("{name}, geçen {day} arkadaşı {friend} ile görüşmek için {bus} numaralı otobüse bindi. "
         "Şapkasının rengi {colour} idi. İki arkadaş birlikte çay içti.",
         {"bus": "{name} kaç numaralı otobüse bindi?", "friend": "{name} hangi arkadaşıyla görüştü?",
          "colour": "{name} adlı kişinin şapkası ne renkti?", "day": "{name} otobüse hangi gün bindi?"}),
        ("{name}, {city} şehrinde {job} olarak çalışıyor. Her sabah saat {hour} olunca işe başlıyor. "
         "Sadece {day} dinleniyor.",
         {"job": "{name} ne iş yapıyor?", "city": "{name} hangi şehirde çalışıyor?",
          "hour": "{name} her sabah saat kaçta işe başlıyor?", "day": "{name} hangi gün dinleniyor?"}),
    ],
}


def _dialect_spec(code: str) -> dict:
    """MSA spec with the dialect's substitutions applied and case endings dropped from the items."""
    subs = DIALECT_SUBSTITUTIONS[code]

    def sub(text: str) -> str:
        for old, new in subs:
            text = text.replace(old, new)
        return text

    msa = SPECS["arb_Arab"]
    slots = dict(msa["slots"])
    slots["item"] = [v[0] if isinstance(v, tuple) else v for v in slots["item"]]
    stories = [(sub(p), {k: sub(q) for k, q in qs.items()}) for p, qs in msa["stories"]]
    return {"slots": slots, "stories": stories}


for _code in DIALECT_SUBSTITUTIONS:
    SPECS[_code] = _dialect_spec(_code)
