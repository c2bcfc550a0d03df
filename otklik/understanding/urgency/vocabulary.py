"""The guards' names and the words they read: negations, past and hypothetical markers, habits,
common areas, chronic trouble, planned works — and where a sentence ends."""

from __future__ import annotations

import re

# --- guards ----------------------------------------------------------------------------------------

NEG = "negation"  # a negation right before a word of the cue
PAST = "past"  # "после …", "в прошлом году", "был пожар"
HYPO = "hypothesis"  # "может", "если", "опасность", "риск" … before the cue in its sentence
RAIN = "rain"  # "при дожде", "во время ливня", "после дождя" — unless the text says it is now
HABIT = "habit"  # "постоянно", "часто", "каждый год" in the sentence
COMMON = "common_area"  # a staircase, a landing, a street lamp: not a home's supply
CHRONIC = "chronic"  # pressure, under-heating, years of it
PLANNED = "planned"  # supply off by schedule or for repairs
SEASON = "season"  # heating: only in the cold season, never about the season's start or end
DEBT = "debt"  # supply cut for debts
DRAIN = "drain"  # a roof drain pipe, rain water, puddles: not the water supply
NOW = "now"  # the text must say the outage is now or name its start or length
TELECOM = "telecom"  # internet and phone cables
COLD_WATER = "cold_water"  # "холодная вода из батареи": the cold is the water's, not the radiator's
BETWEEN = "between"  # "отопления вопросов нет": another noun between the words of an absence cue
TICKS = "ticks"  # a tick bite is for the health service, not an attack
ROAD = "road"  # "угроза обрушения дорожного покрытия": a sinking road surface, not a building
INFRA = "infrastructure"  # "нет центрального водоснабжения": the network was never built
REQUEST = "request"  # "нужно отключить воду", "нет возможности перекрыть": asked for, not happening
MODAL = "modal"  # "могут образоваться сосульки": a modal right before the cue
PARTIAL = "partial"  # "батарея наполовину холодная", "нет нормальной воды": part or quality, not absence
FIXED = "fixed"  # "протечку устранили": the accident is over (unless "не устранили")
FENCED = "fenced"  # "яму огородили": the hole is fenced off
SUNK = "sunk"  # "люк провалился ниже уровня асфальта": a sunken cover, road repair
TREE_NEAR = "tree_near"  # "угроза падения деревьев": a fear about trees (the tree cues judge them)
TREE_MODAL = "tree_modal"  # "деревья могут рухнуть на людей": a fear about trees (the tree cues judge them)
LANDMARK = "landmark"  # "мощение рядом с люком провалилось": a manhole after a preposition is where, not what
SUPPOSITION = "supposition"  # "ждут, пока он рухнет", "зима скоро — здравствуйте сосульки", "как будто"
FINISH = "finish"  # "обвалившаяся штукатурка стены": the wall's finish fell, not the wall
FINISH_WORDS = frozenset({"штукатурка", "краска", "побелка", "отделка", "плитка", "обои", "шпаклевка"})
SURFACE = "surface_wiring"  # "открытые провода на стенах": wiring run on the wall, nothing bare or live
# Round 10 (D1): a leak or a supply cut that has lasted months or years ("с 2020 г.", "четыре года", "с июля",
# "длительное время", "никогда не было", "постоянно") — unless its sentence says now ("сегодня", "с утра").
LONG = "duration"
# Round 10 (L3): a wire that sticks out or is pulled off a wall, an intercom's or an antenna's — nothing
# bare, sparking, live or torn off a pole or a line.
LOOSE_WIRE = "loose_wire"
HATCH = "hatch"  # round 10 (L4): a refuse chute's, a plinth's or an inspection hatch — no manhole in a path
# Round 11 (H1): a hazard read by meaning (an object and its state of failure) wants both in one clause
CLAUSE = "clause"
SMELL = "smell"  # round 13 (R15): "запах канализации": the sewage word names what smells, not a flow
NOT_ICE = "not_ice"  # round 13 (R12): what hangs off the roof is named, and it is a wire, not ice
ICE_DOWN = "ice_down"  # round 10 (L5): roof ice already down ("лёд с крыш на тротуаре") or named in passing

NEGATIONS = frozenset({"не", "нет", "ни"})
# Suppositions: what the writer supposes or waits for, not what is there ("как будто есть прорывы").
SUPPOSED = frozenset({"будто", "похоже"})
SEASONS_AHEAD = frozenset({"зима", "весна", "осень", "лето", "будет", "будут", "появиться", "образоваться"})
# A state that lasts: "до сих пор", "по-прежнему", "так и не", "до настоящего времени" (round 9, G1).
LASTING = re.compile(
    r"(?<![а-яё])(?:до\s+сих\s+пор|по-?\s?прежнему|так\s+и\s+не|до\s+настоящего\s+времени|вс[её]\s+ещ[её]"
    r"|до\s+сегодняшнего\s+дня|по\s+сей\s+день)(?![а-яё])",
    re.IGNORECASE,
)
SUPPLY = frozenset(
    {"вода", "водоснабжение", "отопление", "электроснабжение", "электричество", "свет", "хвс", "гвс", "газ"}
)
# The supply itself, not another thing between an absence's words ("отсутствует подача электроэнергии";
# round 13, R9)
SUPPLY_NOUNS = frozenset({"подача", "поставка", "снабжение"})
# Repair verbs a negation may belong to instead of the hazard ("не могут заделать дыру", G2): a negation
# two words before a cue's word counts only when the word between is no verb (modals excepted).
MODALS = frozenset({"мочь", "стать", "собираться", "хотеть", "спешить", "торопиться"})
# A fence that is not there (G3): "частично огородили", "ограждения забрали / сняли / убрали".
FENCE_NOUNS = frozenset({"ограждение", "забор", "ограда", "лента"})
FENCE_GONE = frozenset(
    {"убрать", "снять", "забрать", "демонтировать", "унести", "украсть", "сломать", "упасть", "повалить"}
)
# A wire bare, sparking or live.
BARE = frozenset({"оголить", "оголенный", "оголённый", "голый", "искрить", "искра", "напряжение", "ток"})
# Words that make "открытые провода" a hazard rather than surface wiring (L1).
LIVE_WIRE = BARE | frozenset(
    {
        "торчать",
        "оборвать",
        "оборванный",
        "свисать",
        "висеть",
        "земля",
        "лужа",
        "крышка",  # round 11: a box's wires open with its cover gone ("провода открыты, отсутствует крышка")
    }
)
# Where a manhole is named as a landmark ("близи люка", "возле колодца"; L2).
NEAR_WORDS = frozenset({"вблизи", "близи", "около", "возле", "рядом", "у", "близ", "недалеко", "вокруг"})
HYPOTHESIS = frozenset(
    {
        "мочь",
        "возможно",
        "возможный",
        "если",
        "случай",
        "опасность",
        "риск",
        "вероятность",
        "чтобы",
        "избежание",
        "допустить",
        "вдруг",
        "предотвратить",
        "предотвращение",
        "угроза",
        "грозить",
        "опасаться",
    }
)
PAST_WORDS = frozenset({"прошлый", "назад", "ранее", "след"})
# Words right before an absence or a cold radiator that make it partial or about quality.
PARTIAL_WORDS = frozenset(
    {
        "наполовину",
        "частично",
        "половина",
        "верх",
        "низ",
        "сверху",
        "снизу",
    }
)
# ... before an absence of heating: "отопления практически нет", "нет нормального отопления" — under-heating.
HEATING_QUALITY_WORDS = frozenset(
    {"нормальный", "нормально", "практически", "полноценный", "стабильный", "качественный", "должный"}
)
# ... and before an absence of water only: its quality or pressure, not that it is gone.
QUALITY_WORDS = frozenset(
    {
        "нормальный",
        "нормально",
        "практически",
        "почти",
        "полноценный",
        "стабильный",
        "качественный",
        "питьевой",
        "должный",
    }
)
SUNK_WORDS = frozenset(
    {"просесть", "проседать", "просевший", "уровень", "ниже", "асфальт", "асфальтовый"}
    | {"подъехать", "проехать", "проезд", "объехать", "объезжать"}  # an obstacle for driving
)
FIXED_WORDS = frozenset({"устранить", "устранение", "ликвидировать", "ликвидация", "устранять"})
FENCED_WORDS = frozenset({"огородить", "оградить", "огороженный", "ограждённый", "огражденный"})
# Who pays for the damage: the flood or fire is over.
AFTERMATH = frozenset({"ущерб", "возмещать", "возместить", "возмещение", "компенсация", "компенсировать"})
PAST_SEASONS = frozenset({"зимой", "летом", "осенью", "весной"})
PAST_EVENTS = frozenset({"произошел", "произошла", "произошло", "был", "была", "было", "были"})
YEAR = re.compile(r"^(?:19|20)\d\d$")
REQUEST_WORDS = frozenset({"нужно", "надо", "необходимо", "возможность", "просить", "просьба", "требоваться"})
LIGHTS = frozenset(
    {"свет", "лампа", "лампочка", "фонарь", "светильник", "освещение", "прожектор", "индикатор"}
)
FIRE_SAFETY = frozenset(
    {
        "тушение",
        "противопожарный",
        "безопасность",
        "предписание",
        "надзор",
        "норма",
        "правило",
        "требование",
        "оповещение",
        "сигнализация",
        "извещатель",
        "знак",  # round 12: a sign that says "ПОЖАР" is no fire
        "табличка",
        "указатель",
        "надпись",
    }
)
TREES = frozenset({"дерево", "тополь", "береза", "клен", "ветка", "ветвь", "сук"})
RAIN_WORDS = frozenset({"дождь", "ливень", "осадки", "таяние", "снегопад", "оттепель", "гроза"})
RAIN_CONDITION = frozenset({"при", "время", "после", "когда", "каждый", "в", "во"})
NOW_WORDS = frozenset({"сейчас", "сегодня", "опять", "снова", "сей", "настоящий", "данный", "сегодняшний"})
HABIT_WORDS = frozenset(
    {
        "постоянно",
        "постоянный",
        "регулярно",
        "часто",
        "периодически",
        "систематически",
        "ежегодно",
        "иногда",
        "перебой",
        "преимущественно",
        "вечерний",
        "утренний",
        "будний",  # round 12: "нет утром и вечером в будние дни" recurs
    }
)
# "по утрам", "несколько раз": a habit
HABITUAL_NEXT = frozenset({"утрам", "вечерам", "ночам", "выходным", "праздникам", "раз"})
# "каждый" is a habit before a time word only ("каждый год", "после каждого дождя"; not "в каждой квартире")
TIMES = frozenset(
    {
        "год",
        "раз",
        "день",
        "зима",
        "весна",
        "лето",
        "осень",
        "дождь",
        "ливень",
        "месяц",
        "неделя",
        "ночь",
        "утро",
        "вечер",
    }
)
COMMON_WORDS = frozenset(
    {
        "лестничный",
        "лестница",
        "клетка",
        "подъезд",
        "парадная",
        "парадный",
        "площадка",
        "холл",
        "тамбур",
        "мусоропровод",
        "арка",
        "фасад",
        "этаж",
        "фонарь",
        "освещение",
        "лампа",
        "лампочка",
        "светильник",
        "уличный",
        "мопа",
        "моп",
    }
)
HOME = frozenset({"квартира", "комната", "кухня", "спальня", "зал"})
CHRONIC_WORDS = frozenset(
    {"напор", "давление", "еле", "годами", "ночной", "циркуляция", "полотенцесушитель", "давно"}
)
PLANNED_WORDS = frozenset(
    {
        "график",
        "плановый",
        "планово",
        "профилактика",
        "профилактический",
        "ремонт",
        "ремонтный",
        "опрессовка",
        "промывка",
    }
    # ... works whose end was put off: the dates of the supply moved, the works extended (round 13, R10:
    # "сроки подачи ГВС переносились уже 4 раза", "даты подачи воды постоянно сдвигаются")
    | {"перенести", "переносить", "переноситься", "сдвигаться", "сдвинуться", "продление", "продлить"}
)
SEASON_POLICY = frozenset({"продлить", "продление", "окончание", "завершение", "включение"})
DEBT_WORDS = frozenset({"задолженность", "долг", "неуплата", "неплатёж", "неплатеж"})
DRAIN_WORDS = frozenset(
    {
        "водосток",
        "водосточный",
        "отток",
        "сток",
        "отвод",
        "лужа",
        "ливнёвка",
        "ливневка",
        "ливневый",
        "талый",
        "канава",
        "кювет",
        "проезжий",
        "изоляция",
        "теплоизоляция",
        "утепление",
        "кондиционер",  # round 12: an air conditioner's condensate is no supply's water
    }
)
INFRA_WORDS = frozenset({"центральный", "централизованный", "система"})
ROAD_WORDS = frozenset(
    {"асфальт", "асфальтовый", "покрытие", "дорожный", "грунт", "земля", "дорога", "проезжий", "тротуар"}
)
# ... and low-current networks: intercom, TV, internet ("слаботочный"; round 13)
TELECOM_WORDS = frozenset(
    {"интернет", "интернетовский", "телефонный", "оптоволокно", "провайдер", "антенна", "слаботочный"}
)
DURATION = frozenset(
    {
        "сутки",
        "день",
        "неделя",
        "месяц",
        "час",
        "утро",
        "ночь",
        "вечер",
        "уже",
        "третий",
        "второй",
        "четвёртый",
    }
)
# D1: how a long duration is said (read by ``reading._long_duration`` with the numbers before them).
MONTHS = frozenset(
    {
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
    }
)
SEASON_NOUNS = frozenset({"зима", "весна", "лето", "осень"})
LONG_WORDS = frozenset({"никогда", "годами", "месяцами", "полгода", "длительный", "долгий"})
# ... "длительное / долгое время", "много / несколько лет, месяцев", "N лет", "N месяцев" (N ≥ 2).
LONG_UNITS = frozenset({"год", "месяц"})
# L3: what a loose wire is when it is a hazard after all; the intercom's, antenna's, camera's wires.
LIVE_OR_LINE = BARE | frozenset(
    {
        "столб",
        "опора",
        "лэп",
        "линия",
        "электрический",
        "электропровод",
        "высоковольтный",
    }
)
WALLS = frozenset({"стена", "фасад", "потолок", "здание", "дом"})
LOW_CURRENT = frozenset(
    {"домофон", "антенна", "интернет", "видеонаблюдение", "камера", "телевидение", "кабельный"}
)
# L4: a hatch that is no manhole: a refuse chute's, a plinth's, a roof's or an inspection one.
HATCH_WORDS = frozenset(
    {
        "мусоропровод",
        "мусоропроводный",
        "загрузочный",
        "цокольный",
        "цоколь",
        "смотровой",
        "лючок",
        "ревизия",
        "ревизионный",
        "чердачный",
        "чердак",
        "кровельный",
        "вентиляционный",
    }
)
# L5: ice or snow already down, or a clause about clearing it (the cue names it in passing).
GROUND = frozenset(
    {"тротуар", "дорога", "земля", "асфальт", "дорожка", "газон", "проезд", "парковка", "двор"}
)
THROWN_DOWN = frozenset(
    {"сбросить", "сброшенный", "скинуть", "сбрасывать", "скидывать", "неубранный", "упавший"}
)
CLEARING = frozenset({"уборка", "очистка", "сброс", "чистка"})
HANGING = frozenset({"висеть", "свисать", "нависать", "нависнуть", "падать", "упасть", "сосулька", "угроза"})
CHILDREN = frozenset({"ребенок", "ребёнок", "дети", "детский", "малыш", "школьник", "школа", "садик"})
TIME_RE = re.compile(
    r"(?<![а-я])(?:с|со|в)\s+\d{1,2}[:.]\d{2}(?!\d)|(?<![а-я])с\s+\d{1,2}\.\d{1,2}(?!\d)|(?<![а-я])с\s+\d{1,2}\s+[а-я]+"
)
# First-person threats by their forms ("может и убить" is not one).
THREATS = re.compile(
    r"(?<![а-яё])(?:убью|прибью|зарежу|подожгу|взорву|покончу\s+с\s+собой|размахивает\s+ножом)(?![а-яё])",
    re.IGNORECASE,
)
# Cues whose fire word is a past form: "горел", "горела" — the fire was, it is not.
PAST_FORM = re.compile(r"(?:ел|ела|ело|ели)$")
SENTENCE_END = re.compile(r"[.!?;\n]")
# "ул. Ленина", "д. 5", "г. Курск": a period after an abbreviation ends no sentence
ABBREVIATIONS = frozenset(
    {"ул", "д", "г", "пр", "просп", "кв", "корп", "к", "стр", "пер", "пос", "п", "с", "им", "обл", "наб"}
    | {"пл", "ш", "б", "мкр", "тел", "т", "е", "ст", "дер", "р-н", "р", "лит"}
    | {"эл", "тех", "эт"}  # "эл. щитков", "тех. этаж", "2 эт." (round 13)
)

# --- round 12: what the broad cues name that the guide's *none* paragraph calls the day's work -------
# R1: what falls is paint ("осыпается краска", "с крыш летят куски краски"), not plaster, brick or facing.
PAINT = "paint"
PAINT_WORDS = frozenset({"краска", "покраска", "окраска", "лакокрасочный", "побелка", "эмаль", "лак"})
# ... a material that does fall on people, said in the same clause as the paint ("краска и штукатурка"),
# by its noun or its adjective ("штукатурный слой и краска осыпается"; round 13, R8)
FALLING_MATTER = frozenset(
    {"штукатурка", "кирпич", "облицовка", "бетон", "камень", "плитка", "плита", "декор", "лепнина", "панель"}
    | {"штукатурный", "кирпичный", "облицовочный", "бетонный", "каменный", "плиточный", "лепной"}
)
# R2: a finish (plaster, putty, paint) coming off indoors, under a ceiling or in a stairwell: repair.
INDOOR = "indoor_finish"
INDOOR_FINISH_WORDS = FINISH_WORDS | frozenset({"шпаклевка", "шпатлевка", "побелка", "покраска"})
INDOOR_PLACES = frozenset(
    {
        "потолок",
        "парадная",
        "подъезд",
        "лестница",
        "лестничный",
        "коридор",
        "холл",
        "тамбур",
        "квартира",
        "комната",
        "кухня",
        "санузел",
        "лифт",
    }
)
# R3: a leak under a roof or a ceiling in the common areas, no home named as where the water goes.
COMMON_LEAK = "common_leak"
COMMON_PLACES = frozenset(
    {
        "парадная",
        "парадный",
        "подъезд",
        "лестница",
        "лестничный",
        "чердак",
        "чердачный",
        "технический",
        "колясочный",
        "колясочная",
        "холл",
        "тамбур",
        "площадка",
        "мусоропровод",
    }
)
# ... a home is where the water goes when it follows one of these ("в квартире", "залило квартиру",
# "потолок квартиры"), not when it names a place ("напротив 34 квартиры", "где квартиры с 32 по 42").
INTO = frozenset({"в", "во", "на", "из", "до"})
FLOODS = frozenset(
    {"залить", "заливать", "затопить", "затапливать", "протекать", "течь", "капать", "потолок", "стена"}
)
HOMES = HOME | frozenset({"сосед", "жилой"})
# R4: a cover named with its owner ("крышка светофора", "крышка щитка") is that thing's, not a manhole's.
COVER_OF = "cover_of"
# R5: glass broken in a door: shards in a doorway are the door's repair (the guide: common areas).
DOOR_GLASS = "door_glass"
GLASS = frozenset({"стекло", "осколок", "остекление", "стеклопакет"})
DOORS = frozenset({"дверь", "дверной"})
# R6: hot water said to run, only not hot ("из крана с горячей водой идёт холодная или чуть тёплая"):
# the supply is there, its temperature is the complaint (partial).
FLOWS = frozenset({"идти", "течь", "бежать", "литься", "поступать", "подаваться", "потечь"})
# (not "холодная" alone: cold from the hot tap may be no hot water at all)
LUKEWARM = frozenset(
    {
        "теплый",
        "тепловатый",
        "прохладный",
        "чуть",
        "еле",
        "едва",
        "ржавый",
        "мутный",
        "нагреться",
        "нагреваться",
    }
)
# ... what puts a finish outdoors, where it falls on people (R2 does not drop these)
OUTDOORS = frozenset(
    {"фасад", "фасадный", "улица", "тротуар", "двор", "арка", "карниз", "козырек", "крыльцо", "пешеход"}
    | {"прохожий"}
)

# --- round 13 -------------------------------------------------------------------------------------
# R12: what hangs off a roof's edge is named and is no ice or snow ("Свисает провод с крыши").
HUNG_THINGS = frozenset({"провод", "кабель", "проводка", "трос", "антенна"})
ICE_AND_SNOW = frozenset(
    {"сосулька", "сосуля", "лед", "лёд", "наледь", "снег", "снежный", "ледяной", "глыба", "льдина"}
)
# R15: the sewage word is what smells ("едкий запах канализации, и как результат протечки").
SMELLS = frozenset({"запах", "вонь", "смрад", "пахнуть", "вонять", "зловоние"})

# --- round 14 -------------------------------------------------------------------------------------
# R18: a supply's words written with a letter left out ("Отсутсвует горячая вода"): a word the dictionary
# does not know reads as the one word of these it becomes by putting the letter back.
TYPO_TOLERANT = frozenset(
    {"отсутствовать", "отсутствие", "отключить", "отключение", "отопление", "водоснабжение", "электроэнергия"}
    | {"электричество", "электроснабжение", "горячий", "холодный"}
)
# R24: what crumbles is the well's walls, not its opening ("Разрушаются внутренние стенки колодца").
WELL_WALLS = "well_walls"
WALL_PARTS = frozenset({"стенка", "стена", "кладка", "кольцо", "горловина"})
# R25: ice inside a pipe falls inside it ("от падающего весной льда внутри трубы").
INSIDE = "inside"
# R26: a supply pipe named with the leak (a riser, a radiator, hot water, the heating main) is no drain,
# whatever "отвод" or "сток" says beside it ("Течёт стояк горячей воды и отвод магистрали обратки").
SUPPLY_PIPES = frozenset(
    {"стояк", "радиатор", "батарея", "магистраль", "горячий", "гвс", "обратка", "кипяток"}
)
# R28: the porch's steps under a canopy's or a gutter's water.
STEPS = frozenset({"ступень", "ступенька", "крыльцо"})
CANOPY = frozenset({"козырек", "козырёк", "водоотведение", "водосточный", "водосток", "навес"})
# R29: a leak onto the wiring ("мокнет … распределительная коробка электропроводки") is no drain's water.
WIRING = frozenset({"электропроводка", "проводка", "щиток", "электрощиток", "розетка", "электрощит"})
# R23: a panel blown off indoors (a lift's, a hall's) is repair: the sentence names a place inside and
# nothing outside ("в квартире отлетела панель у лифта").
INDOOR_PLACE = "indoor_place"
OUTSIDE = OUTDOORS | frozenset({"крыша", "кровля", "лоджия", "балкон", "окно", "ветер"})

# --- round 15 -------------------------------------------------------------------------------------
# R38: what pours on heads is dirt — dust, cobwebs, litter — when the text names it and no part of a
# building ("много паутины … сыплется все на голову").
DIRT = "dirt"
DIRT_WORDS = frozenset({"пыль", "паутина", "грязь", "грязно", "мусор", "песок", "листва", "окурок"})
