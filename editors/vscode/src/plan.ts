// "Convex Migrate: Plan a migration": the changes `convex-migrate plan` takes, what to ask for each,
// and the command line that runs it. Pure: no `vscode` here.

export interface PlanChange {
  /** The verb of `convex-migrate plan VERB table.field`; "" plans every change since the base. */
  verb: string;
  label: string;
  detail: string;
  /** The option this change needs a value for, and how to ask for it. */
  option?: { flag: string; prompt: string; placeHolder: string; required: boolean };
}

export const PLAN_CHANGES: PlanChange[] = [
  { verb: "", label: "Every change since the base", detail: "plan: each change between what is deployed and the working tree, in order" },
  {
    verb: "require",
    label: "Make a field required",
    detail: "plan require TABLE.FIELD --default VALUE",
    option: { flag: "--default", prompt: "The value the backfill writes (a TypeScript expression; `doc.x` reads the document). Empty: a placeholder", placeHolder: '"member"', required: false },
  },
  { verb: "remove", label: "Remove a field", detail: "plan remove TABLE.FIELD" },
  {
    verb: "narrow",
    label: "Narrow a field (a union loses members)",
    detail: "plan narrow TABLE.FIELD --map OLD=NEW",
    option: { flag: "--map", prompt: "What each removed value becomes (OLD=NEW, comma-separated)", placeHolder: "guest=member", required: false },
  },
  {
    verb: "rename",
    label: "Rename a field",
    detail: "plan rename TABLE.FIELD --to NEW_NAME",
    option: { flag: "--to", prompt: "The new name", placeHolder: "fullName", required: true },
  },
  {
    verb: "retype",
    label: "Change a field's type",
    detail: "plan retype TABLE.FIELD --to VALIDATOR",
    option: { flag: "--to", prompt: "The new validator", placeHolder: "v.number()", required: true },
  },
  {
    verb: "split",
    label: "Split a field into a table of its own",
    detail: "plan split TABLE.FIELD --into NEW_TABLE",
    option: { flag: "--into", prompt: "The new table", placeHolder: "postTags", required: true },
  },
];

/** Whether `text` names a field as `table.field`. */
export function isField(text: string): boolean {
  return /^[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/.test(text.trim());
}

/** The arguments of `convex-migrate` for the plan: `plan VERB FIELD [FLAG VALUE] -C ROOT`. */
export function planArgs(change: PlanChange, field: string | undefined, value: string | undefined, root: string): string[] {
  const args = ["plan"];
  if (change.verb) args.push(change.verb, (field ?? "").trim());
  if (change.option && value && value.trim() !== "") args.push(change.option.flag, value.trim());
  args.push("-C", root);
  return args;
}
