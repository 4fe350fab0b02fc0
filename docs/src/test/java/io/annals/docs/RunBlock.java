package io.annals.docs;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Runs a printing doc block in the JVM {@link DocCheck} starts for it: {@code RunBlock CLASS
 * METHOD} calls the block's static method; an exception ends the JVM with status 1.
 */
public final class RunBlock {

    private RunBlock() {}

    /**
     * @param args the generated interface's name and the name of its method to call
     * @throws Throwable whatever the method throws
     */
    public static void main(String[] args) throws Throwable {
        Method method = Class.forName(args[0]).getDeclaredMethod(args[1]);
        try {
            method.invoke(null);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        System.out.flush();
    }
}
