//! The generator's model is its own (it must build when core's generated table does not), and
//! the table it writes names core's variants (`Shape::Callback`, `Handling::NativeUi`): the two
//! models have the same variants, names and spellings. Each match below is exhaustive both ways,
//! so a variant added on one side only does not compile.

use miniperm_apigen::{Handling, Shape, Ty};
use miniperm_core::wxapi;

fn shape(s: Shape) -> wxapi::Shape {
    match s {
        Shape::Sync => wxapi::Shape::Sync,
        Shape::Callback => wxapi::Shape::Callback,
        Shape::Listener => wxapi::Shape::Listener,
        Shape::Factory => wxapi::Shape::Factory,
        Shape::Namespace => wxapi::Shape::Namespace,
    }
}

fn shape_back(s: wxapi::Shape) -> Shape {
    match s {
        wxapi::Shape::Sync => Shape::Sync,
        wxapi::Shape::Callback => Shape::Callback,
        wxapi::Shape::Listener => Shape::Listener,
        wxapi::Shape::Factory => Shape::Factory,
        wxapi::Shape::Namespace => Shape::Namespace,
    }
}

fn ty(t: Ty) -> wxapi::Ty {
    match t {
        Ty::String => wxapi::Ty::String,
        Ty::Number => wxapi::Ty::Number,
        Ty::Boolean => wxapi::Ty::Boolean,
        Ty::Object => wxapi::Ty::Object,
        Ty::Array => wxapi::Ty::Array,
        Ty::Any => wxapi::Ty::Any,
    }
}

fn ty_back(t: wxapi::Ty) -> Ty {
    match t {
        wxapi::Ty::String => Ty::String,
        wxapi::Ty::Number => Ty::Number,
        wxapi::Ty::Boolean => Ty::Boolean,
        wxapi::Ty::Object => Ty::Object,
        wxapi::Ty::Array => Ty::Array,
        wxapi::Ty::Any => Ty::Any,
    }
}

#[test]
fn the_generators_model_is_cores() {
    for s in Shape::ALL {
        let c = shape(s);
        assert_eq!(format!("{s:?}"), format!("{c:?}"));
        assert_eq!(s.as_str(), c.as_str());
        assert_eq!(shape_back(c), s);
    }
    for t in Ty::ALL {
        let c = ty(t);
        assert_eq!(format!("{t:?}"), format!("{c:?}"));
        assert_eq!(t.as_str(), c.as_str());
        assert_eq!(ty_back(c), t);
    }
    let ours: Vec<(String, &str)> = Handling::ALL
        .iter()
        .map(|h| (format!("{h:?}"), h.as_str()))
        .collect();
    let core: Vec<(String, &str)> = wxapi::Handling::ALL
        .iter()
        .map(|h| (format!("{h:?}"), h.as_str()))
        .collect();
    assert_eq!(ours, core);
}
