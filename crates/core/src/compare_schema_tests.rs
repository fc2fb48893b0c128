use super::*;

fn col(name: &str, kind: &str) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        kind: kind.into(),
        required: true,
    }
}

fn schema(inputs: Vec<ColumnSpec>, outputs: Vec<ColumnSpec>) -> ModelSchema {
    ModelSchema::Signature {
        signature: Signature {
            inputs,
            outputs,
            params: Vec::new(),
            input_example: None,
        },
    }
}

#[test]
fn added_required_input_breaks_optional_does_not() {
    let a = schema(
        vec![col("amount", "double")],
        vec![col("#0", "tensor(int64, [-1])")],
    );
    let mut opt = col("velocity", "double");
    opt.required = false;
    let b = schema(
        vec![col("amount", "double"), col("device", "string"), opt],
        vec![col("#0", "tensor(int64, [-1])")],
    );
    let d = diff_schemas(a, b);
    assert!(d.comparable);
    assert_eq!(d.unchanged, 2);
    assert_eq!(d.changes.len(), 2);
    let dev = d.changes.iter().find(|c| c.name == "device").unwrap();
    assert_eq!((dev.change, dev.breaking), (ChangeKind::Added, true));
    let vel = d.changes.iter().find(|c| c.name == "velocity").unwrap();
    assert_eq!((vel.change, vel.breaking), (ChangeKind::Added, false));
    assert!(d.breaking);
}

#[test]
fn removed_and_retyped_inputs_and_outputs_break() {
    let a = schema(
        vec![
            col("amount", "double"),
            col("day", "string"),
            col("old", "long"),
        ],
        vec![col("p", "double"), col("q", "double")],
    );
    let b = schema(
        vec![col("amount", "double"), col("day", "long")],
        vec![col("p", "float"), col("r", "double")],
    );
    let d = diff_schemas(a, b);
    let find = |part, n: &str| {
        d.changes
            .iter()
            .find(|c| c.part == part && c.name == n)
            .unwrap()
    };
    let day = find(SchemaPart::Input, "day");
    assert_eq!((day.change, day.breaking), (ChangeKind::Retyped, true));
    assert!(day.reason.contains("string -> long"), "{}", day.reason);
    assert_eq!(find(SchemaPart::Input, "old").change, ChangeKind::Removed);
    assert!(find(SchemaPart::Input, "old").breaking);
    assert!(find(SchemaPart::Output, "p").breaking);
    assert!(find(SchemaPart::Output, "q").breaking);
    let r = find(SchemaPart::Output, "r");
    assert_eq!((r.change, r.breaking), (ChangeKind::Added, false));
    assert_eq!(d.unchanged, 1);
}

#[test]
fn same_signature_has_no_changes() {
    let s = schema(vec![col("a", "double")], vec![col("b", "long")]);
    let d = diff_schemas(s.clone(), s);
    assert!(d.changes.is_empty());
    assert!(!d.breaking);
    assert_eq!(d.unchanged, 2);
}

#[test]
fn required_flag_changes() {
    let mut o = col("x", "double");
    o.required = false;
    let d = diff_schemas(
        schema(vec![o.clone()], vec![]),
        schema(vec![col("x", "double")], vec![]),
    );
    assert_eq!(d.changes[0].change, ChangeKind::RequiredChanged);
    assert!(d.breaking);
    let d = diff_schemas(
        schema(vec![col("x", "double")], vec![]),
        schema(vec![o], vec![]),
    );
    assert!(!d.breaking);
}

#[test]
fn a_side_without_signature_is_not_comparable() {
    let s = schema(vec![col("a", "double")], vec![]);
    let d = diff_schemas(ModelSchema::NoSignature, s.clone());
    assert!(!d.comparable && d.changes.is_empty() && !d.breaking);
    let d = diff_schemas(s, ModelSchema::NoModelFile);
    assert_eq!(
        d.b.missing_reason(),
        Some("no MLmodel file in the version's files")
    );
}
