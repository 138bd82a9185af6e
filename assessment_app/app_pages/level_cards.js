// Level cards: the questions of one step of the Questionnaire, drawn by the browser itself.
//
// One Streamlit element for the whole list (not a radio, a caption and a popover per question): a click
// reruns one fragment holding one element, and Streamlit's browser side redraws every element of a page
// on each message of a rerun (benchmarks/bench_ui.py). The DOM is built once per mount and then only updated, so focus, an open
// note and what is being typed survive every rerun. Every text goes in through textContent: a note or a
// question is shown as typed, never as markup.
//
// data: {heading, questions: [{id, text, hint, value, levels: [{value, name, description}], note, evidence,
//        status, warning}], disabled, large}
// event (trigger "answer"): {qid, changed: "level" | "note" | "evidence", level, note, evidence} — the
// whole card as it stands, not only what changed: Streamlit may deliver a note's change and a level's
// click in one batch and keep only the last event, which then still carries the note.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function buildCard(q, index, uid, setTriggerValue) {
  const card = el("section", "lc-card");
  const send = (changed) => {
    const checked = card.querySelector(".lc-levels input:checked");
    setTriggerValue("answer", {
      qid: q.id, changed, level: checked ? checked.value : null,
      note: card.querySelector("textarea").value, evidence: card.querySelector("input[type=url]").value,
    });
  };
  card.dataset.qid = q.id;
  const title = el("p", "lc-question", q.text);
  title.id = `${uid}-q${index}`;
  card.append(title);
  const hint = q.hint ? el("p", "lc-hint", `Evidence to ask for: ${q.hint}`) : null;
  if (hint) {
    hint.id = `${uid}-q${index}-hint`;
    card.append(hint);
  }

  // A labelled radio group: the question names it (the evidence hint describes it); each level is a
  // native radio named by its level name and described by its level text, so a screen reader says
  // "2 Repeatable, radio button, 3 of 6, checked" and then what an assessor sees at that level. Native
  // radios give the roving focus for free: Tab enters the group at the checked level, arrows move and
  // check, Tab leaves.
  const group = el("div", "lc-levels");
  group.setAttribute("role", "radiogroup");
  group.setAttribute("aria-labelledby", title.id);
  if (hint) group.setAttribute("aria-describedby", hint.id);
  q.levels.forEach((level, j) => {
    const label = el("label", level.value === "na" ? "lc-level lc-na" : "lc-level");
    const input = el("input");
    input.type = "radio";
    input.name = `${uid}-q${index}`;
    input.value = level.value;
    input.addEventListener("change", () => {
      if (input.checked) send("level");
    });
    const name = el("span", "lc-name", level.name);
    const desc = el("span", "lc-desc", level.description);
    name.id = `${uid}-q${index}-l${j}`;
    desc.id = `${name.id}-desc`;
    input.setAttribute("aria-labelledby", name.id);
    if (level.description) input.setAttribute("aria-describedby", desc.id);
    label.append(input, name, desc);
    group.append(label);
  });
  card.append(group);

  const status = el("p", "lc-status");
  status.setAttribute("role", "status");
  card.append(status, el("p", "lc-warning"));

  const more = el("details", "lc-more");
  more.append(el("summary", "", "Note and evidence link"));
  const noteLabel = el("label", "lc-field", "Note");
  const note = el("textarea");
  note.rows = 3;
  note.placeholder = "What the room said, who follows up…";
  note.addEventListener("change", () => send("note"));
  noteLabel.append(note);
  const linkLabel = el("label", "lc-field", "Evidence link");
  const link = el("input");
  link.type = "url";
  link.placeholder = "Link to the dashboard, policy or pipeline shown";
  link.addEventListener("change", () => send("evidence"));
  linkLabel.append(link);
  more.append(noteLabel, linkLabel);
  card.append(more, el("p", "lc-saved-note"));
  return card;
}

function update(card, q, disabled) {
  for (const input of card.querySelectorAll(".lc-levels input")) {
    input.checked = input.value === q.value;
    input.disabled = disabled;
  }
  card.querySelector(".lc-status").textContent = q.status || "";
  card.querySelector(".lc-warning").textContent = q.warning || "";
  const note = card.querySelector("textarea");
  const link = card.querySelector("input[type=url]");
  const root = card.getRootNode();
  // Never overwrite what is being typed: the field with the focus keeps its text.
  if (root.activeElement !== note) note.value = q.note || "";
  if (root.activeElement !== link) link.value = q.evidence || "";
  note.disabled = link.disabled = disabled;
  const saved = [q.note ? `Note: ${q.note}` : "", q.evidence ? `Evidence: ${q.evidence}` : ""];
  card.querySelector(".lc-saved-note").textContent = saved.filter(Boolean).join(" · ");
}

export default function ({ parentElement, data, setTriggerValue }) {
  const questions = (data && data.questions) || [];
  const ids = questions.map((q) => q.id).join("\n");
  let list = parentElement.querySelector(".lc-list");
  if (!list || list.dataset.ids !== ids) {
    if (list) list.remove();
    list = el("div", "lc-list");
    list.dataset.ids = ids;
    list.append(el("h3", "lc-heading"));
    const uid = `lc${Math.random().toString(36).slice(2, 8)}`;
    questions.forEach((q, i) => list.append(buildCard(q, i, uid, setTriggerValue)));
    parentElement.append(list);
  }
  list.classList.toggle("lc-large", Boolean(data && data.large));
  list.querySelector(".lc-heading").textContent = (data && data.heading) || "";
  const cards = list.querySelectorAll(".lc-card");
  questions.forEach((q, i) => update(cards[i], q, Boolean(data.disabled)));
}
