package rmqrs.compat;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.annotation.CFNotNull;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Version-neutral access to official classes whose package differs between the client lines.
 *
 * <p>Request/response header classes live in {@code org.apache.rocketmq.common.protocol.header} in
 * 4.9.x and in {@code org.apache.rocketmq.remoting.protocol.header} in 5.x; RemotingCommand,
 * SerializeType, LanguageCode, CommandCustomHeader and CFNotNull keep their 4.9.x names in 5.x.
 * Loading headers by name keeps one source tree that compiles under both Maven profiles.
 */
public final class RmqClasses {
    /** 4.9.x package of request/response headers. */
    public static final String HEADER_PKG_4 = "org.apache.rocketmq.common.protocol.header.";
    /** 5.x package of request/response headers. */
    public static final String HEADER_PKG_5 = "org.apache.rocketmq.remoting.protocol.header.";

    private RmqClasses() {
    }

    /** A header class by simple name ({@code SendMessageRequestHeaderV2}) or by a 4.x/5.x full name. */
    public static Class<? extends CommandCustomHeader> headerClass(String name) {
        List<String> candidates = new ArrayList<>();
        if (name.indexOf('.') < 0) {
            candidates.add(HEADER_PKG_4 + name);
            candidates.add(HEADER_PKG_5 + name);
        } else {
            candidates.add(name);
            if (name.startsWith(HEADER_PKG_4)) {
                candidates.add(HEADER_PKG_5 + name.substring(HEADER_PKG_4.length()));
            } else if (name.startsWith(HEADER_PKG_5)) {
                candidates.add(HEADER_PKG_4 + name.substring(HEADER_PKG_5.length()));
            }
        }
        for (String c : candidates) {
            try {
                return Class.forName(c).asSubclass(CommandCustomHeader.class);
            } catch (ClassNotFoundException ignored) {
                // try the next package
            }
        }
        throw new IllegalArgumentException("no header class among " + candidates);
    }

    /** A new header with the given fields set from their text forms: name, value, name, value... */
    public static CommandCustomHeader newHeader(String simpleName, String... nameValues) {
        Class<? extends CommandCustomHeader> cls = headerClass(simpleName);
        try {
            CommandCustomHeader h = cls.getDeclaredConstructor().newInstance();
            for (int i = 0; i < nameValues.length; i += 2) {
                Field f = field(cls, nameValues[i]);
                f.setAccessible(true);
                f.set(h, parse(f.getType(), nameValues[i + 1]));
            }
            return h;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + cls.getName(), e);
        }
    }

    /** A declared field of the class or one of its superclasses. */
    public static Field field(Class<?> cls, String name) {
        for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                return c.getDeclaredField(name);
            } catch (NoSuchFieldException ignored) {
                // look in the superclass
            }
        }
        throw new IllegalArgumentException(cls.getName() + " has no field " + name);
    }

    /** Every non-static field of the class and its superclasses. */
    public static List<Field> instanceFields(Class<?> cls) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !f.getName().startsWith("this")) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    /** Whether a field is annotated {@code @CFNotNull} (required on the wire). */
    public static boolean isRequired(Field f) {
        return f.isAnnotationPresent(CFNotNull.class);
    }

    private static Object parse(Class<?> type, String text) {
        if (type == String.class) {
            return text;
        } else if (type == Integer.class || type == int.class) {
            return Integer.parseInt(text);
        } else if (type == Long.class || type == long.class) {
            return Long.parseLong(text);
        } else if (type == Boolean.class || type == boolean.class) {
            return Boolean.parseBoolean(text);
        } else if (type == Double.class || type == double.class) {
            return Double.parseDouble(text);
        }
        throw new IllegalArgumentException("unsupported header field type " + type);
    }

    /**
     * Decodes the custom header the strict, reflective way: a missing {@code @CFNotNull} field throws.
     *
     * <p>4.9.x: {@code decodeCommandCustomHeader(cls, false)} (the boolean is useFastEncode);
     * 5.x: {@code decodeCommandCustomHeaderDirectly(cls, false)} (there the 2-argument
     * decodeCommandCustomHeader means "cached" instead).
     */
    public static CommandCustomHeader decodeStrict(RemotingCommand cmd, Class<? extends CommandCustomHeader> cls)
        throws Exception {
        Method m;
        try {
            m = RemotingCommand.class.getMethod("decodeCommandCustomHeaderDirectly", Class.class, boolean.class);
        } catch (NoSuchMethodException fourX) {
            m = RemotingCommand.class.getMethod("decodeCommandCustomHeader", Class.class, boolean.class);
        }
        try {
            return (CommandCustomHeader) m.invoke(cmd, cls, false);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof Exception ex ? ex : new RuntimeException(cause);
        }
    }
}
