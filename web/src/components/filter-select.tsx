/** One filter of a list: a labelled choice, with "all" first when the filter may be off. */
export function FilterSelect({
  label,
  value,
  options,
  all,
  name,
  onChange,
}: {
  label: string;
  value: string;
  options: ReadonlyArray<{ value: string; label: string }>;
  /** The words for "no filter" (value ''); without it one option is always chosen. */
  all?: string;
  name?: string;
  onChange(value: string): void;
}) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {all !== undefined ? <option value="">{all}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
